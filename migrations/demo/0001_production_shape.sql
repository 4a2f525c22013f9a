-- The demo world: the production tables of contract/zrg.md §1 (schema V2+),
-- with the same quoted Prisma names. Types are declared with their Postgres
-- names so the catalogue reads like production's; timestamps are stored as
-- naive-UTC text with millisecond precision.

CREATE TABLE "Client" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL
);

CREATE TABLE "EmailCampaign" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "clientId" TEXT NOT NULL REFERENCES "Client"("id") ON DELETE CASCADE,
    "name" TEXT NOT NULL,
    "responseMode" ENUM_CampaignResponseMode NOT NULL DEFAULT 'SETTER_MANAGED',
    "autoSendConfidenceThreshold" DOUBLE PRECISION NOT NULL DEFAULT 0.9,
    "autoSendSkipHumanReview" BOOLEAN,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL
);
CREATE INDEX "EmailCampaign_clientId_idx" ON "EmailCampaign"("clientId");

CREATE TABLE "Lead" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "clientId" TEXT NOT NULL REFERENCES "Client"("id") ON DELETE CASCADE,
    "emailCampaignId" TEXT REFERENCES "EmailCampaign"("id") ON DELETE SET NULL,
    "firstName" TEXT,
    "email" TEXT,
    "phone" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL
);
CREATE INDEX "Lead_clientId_idx" ON "Lead"("clientId");

CREATE TABLE "WorkspaceSettings" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "clientId" TEXT NOT NULL REFERENCES "Client"("id") ON DELETE CASCADE,
    "autoSendRevisionEnabled" BOOLEAN NOT NULL DEFAULT false,
    "autoSendRevisionModel" TEXT DEFAULT 'gpt-5.2',
    "autoSendRevisionReasoningEffort" TEXT DEFAULT 'high',
    "autoSendRevisionMaxIterations" INTEGER DEFAULT 3,
    "autoSendEvaluatorModel" TEXT,
    "autoSendEvaluatorReasoningEffort" TEXT,
    "autoSendSkipHumanReview" BOOLEAN NOT NULL DEFAULT false,
    "autoSendScheduleMode" ENUM_AutoSendScheduleMode NOT NULL DEFAULT 'ALWAYS',
    "timezone" TEXT,
    "workStartTime" TEXT DEFAULT '09:00',
    "workEndTime" TEXT DEFAULT '17:00',
    "leadContextBundleEnabled" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL
);
CREATE UNIQUE INDEX "WorkspaceSettings_clientId_key" ON "WorkspaceSettings"("clientId");

CREATE TABLE "AIDraft" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "leadId" TEXT NOT NULL REFERENCES "Lead"("id") ON DELETE CASCADE,
    "triggerMessageId" TEXT,
    "content" TEXT NOT NULL,
    "channel" TEXT NOT NULL DEFAULT 'sms',
    "status" TEXT NOT NULL DEFAULT 'pending',
    "responseDisposition" ENUM_AIDraftResponseDisposition,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "autoSendEvaluatedAt" TIMESTAMP(3),
    "autoSendConfidence" DOUBLE PRECISION,
    "autoSendThreshold" DOUBLE PRECISION,
    "autoSendReason" TEXT,
    "autoSendAction" TEXT,
    "autoSendSlackNotified" BOOLEAN NOT NULL DEFAULT false,
    "autoSendRevisionAttemptedAt" TIMESTAMP(3),
    "autoSendOriginalConfidence" DOUBLE PRECISION,
    "autoSendRevisionConfidence" DOUBLE PRECISION,
    "autoSendRevisionApplied" BOOLEAN NOT NULL DEFAULT false,
    "autoSendRevisionSelectorUsed" BOOLEAN,
    "autoSendRevisionIterations" INTEGER DEFAULT 0,
    "slackNotificationChannelId" TEXT,
    "slackNotificationMessageTs" TEXT
);
CREATE INDEX "AIDraft_leadId_idx" ON "AIDraft"("leadId");
CREATE INDEX "AIDraft_triggerMessageId_idx" ON "AIDraft"("triggerMessageId");
CREATE UNIQUE INDEX "AIDraft_triggerMessageId_channel_key" ON "AIDraft"("triggerMessageId", "channel");
CREATE INDEX "AIDraft_channel_idx" ON "AIDraft"("channel");
CREATE INDEX "AIDraft_status_idx" ON "AIDraft"("status");
CREATE INDEX "AIDraft_responseDisposition_idx" ON "AIDraft"("responseDisposition");
CREATE INDEX "AIDraft_autoSendAction_idx" ON "AIDraft"("autoSendAction");
CREATE INDEX "AIDraft_autoSendEvaluatedAt_idx" ON "AIDraft"("autoSendEvaluatedAt");
CREATE INDEX "AIDraft_autoSendRevisionAttemptedAt_idx" ON "AIDraft"("autoSendRevisionAttemptedAt");

CREATE TABLE "AIInteraction" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "clientId" TEXT NOT NULL REFERENCES "Client"("id") ON DELETE CASCADE,
    "leadId" TEXT,
    "source" TEXT,
    "featureId" TEXT NOT NULL,
    "promptKey" TEXT,
    "model" TEXT NOT NULL,
    "apiType" TEXT NOT NULL,
    "inputTokens" INTEGER,
    "outputTokens" INTEGER,
    "totalTokens" INTEGER,
    "latencyMs" INTEGER,
    "status" TEXT NOT NULL DEFAULT 'success',
    "errorMessage" TEXT,
    "metadata" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX "AIInteraction_clientId_featureId_createdAt_idx"
    ON "AIInteraction"("clientId", "featureId", "createdAt" DESC);
CREATE INDEX "AIInteraction_createdAt_idx" ON "AIInteraction"("createdAt");

CREATE TABLE "DraftPipelineRun" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "clientId" TEXT NOT NULL REFERENCES "Client"("id") ON DELETE CASCADE,
    "leadId" TEXT NOT NULL REFERENCES "Lead"("id") ON DELETE CASCADE,
    "triggerMessageId" TEXT NOT NULL,
    "draftId" TEXT REFERENCES "AIDraft"("id") ON DELETE SET NULL,
    "channel" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'RUNNING',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL
);
CREATE UNIQUE INDEX "DraftPipelineRun_draftId_key" ON "DraftPipelineRun"("draftId");
CREATE UNIQUE INDEX "DraftPipelineRun_triggerMessageId_channel_key"
    ON "DraftPipelineRun"("triggerMessageId", "channel");

CREATE TABLE "DraftPipelineArtifact" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "runId" TEXT NOT NULL REFERENCES "DraftPipelineRun"("id") ON DELETE CASCADE,
    "stage" TEXT NOT NULL,
    "iteration" INTEGER NOT NULL DEFAULT 0,
    "promptKey" TEXT,
    "model" TEXT,
    "payload" JSONB,
    "text" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX "DraftPipelineArtifact_runId_stage_iteration_key"
    ON "DraftPipelineArtifact"("runId", "stage", "iteration");
