-- The demo's stand-in for Vercel: production env records, deployments that
-- capture the env at build time, and the world's own settings.

CREATE TABLE "_demo_env" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "value" TEXT,
    "type" TEXT NOT NULL DEFAULT 'encrypted',
    "updatedAt" TIMESTAMP(3) NOT NULL
);

CREATE TABLE "_demo_deployment" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "readyState" TEXT NOT NULL DEFAULT 'QUEUED',
    "buildingAt" TIMESTAMP(3),
    "readyAt" TIMESTAMP(3),
    "willCancel" BOOLEAN NOT NULL DEFAULT false,
    "env" TEXT NOT NULL
);
CREATE INDEX "_demo_deployment_createdAt_idx" ON "_demo_deployment"("createdAt");

CREATE TABLE "_demo_meta" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL
);
