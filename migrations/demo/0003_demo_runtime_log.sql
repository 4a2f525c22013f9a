-- The demo's stand-in for Vercel's runtime logs: the lines the simulated app
-- prints (contract/vercel.md "Runtime logs"), each one row of the stream's
-- JSON, with the deployment that printed it.

CREATE TABLE "_demo_runtime_log" (
    "seq" INTEGER PRIMARY KEY AUTOINCREMENT,
    "deploymentId" TEXT NOT NULL,
    "printedAt" TIMESTAMP(3) NOT NULL,
    "line" TEXT NOT NULL
);
CREATE INDEX "_demo_runtime_log_printedAt_idx" ON "_demo_runtime_log"("printedAt");
