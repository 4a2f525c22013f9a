//! Schema variants of the production database (contract §6) and how they are
//! recognised from the catalogue. A missing column is data, never a SQL error.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// A column's logical type, normalised from Postgres' `information_schema`
/// or SQLite's declared types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ColumnType {
    /// `text`
    Text,
    /// `timestamp(3) without time zone`
    Timestamp,
    /// `timestamp with time zone` (never right for these columns)
    TimestampTz,
    /// `double precision`
    Float,
    /// `boolean`
    Bool,
    /// `integer`
    Int,
    /// `jsonb` / `json`
    Json,
    /// A Postgres enum or another user-defined type
    Enum,
    /// Anything else, with its catalogue spelling
    Other,
}

impl ColumnType {
    /// Maps `information_schema.columns.data_type`.
    pub fn from_postgres(data_type: &str) -> Self {
        match data_type {
            "text" | "character varying" => Self::Text,
            "timestamp without time zone" => Self::Timestamp,
            "timestamp with time zone" => Self::TimestampTz,
            "double precision" => Self::Float,
            "boolean" => Self::Bool,
            "integer" => Self::Int,
            "jsonb" | "json" => Self::Json,
            "USER-DEFINED" => Self::Enum,
            _ => Self::Other,
        }
    }

    /// Maps a SQLite declared type (the demo DB declares Postgres-like names).
    pub fn from_sqlite(declared: &str) -> Self {
        let d = declared.to_ascii_uppercase();
        if d.starts_with("TIMESTAMPTZ") {
            Self::TimestampTz
        } else if d.starts_with("TIMESTAMP") || d.starts_with("DATETIME") {
            Self::Timestamp
        } else if d.starts_with("DOUBLE") || d == "REAL" || d == "FLOAT" {
            Self::Float
        } else if d == "BOOLEAN" || d == "BOOL" {
            Self::Bool
        } else if d == "INTEGER" || d == "INT" {
            Self::Int
        } else if d == "TEXT" || d.starts_with("VARCHAR") {
            Self::Text
        } else if d == "JSONB" || d == "JSON" {
            Self::Json
        } else if d.starts_with("ENUM") {
            Self::Enum
        } else {
            Self::Other
        }
    }
}

/// One column as the catalogue lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogColumn {
    /// Table name (Prisma model name, case-sensitive).
    pub table: String,
    /// Column name (camelCase).
    pub column: String,
    /// Normalised type.
    pub ty: ColumnType,
}

/// What the adapters read from the database catalogue.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    /// Columns of the tables the panel cares about.
    pub columns: Vec<CatalogColumn>,
    /// `(table, leading column)` of each index on those tables.
    pub index_leading_columns: Vec<(String, String)>,
}

/// The schema variants of contract §6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum SchemaVariant {
    /// The base tables the panel needs are not there at all.
    Unrecognised,
    /// Pre-116: no revision columns.
    V0,
    /// Phase 116: the five revision columns and the workspace toggle.
    V1,
    /// Phase 123/127: iterations, per-workspace model/effort/max-iterations.
    V2,
    /// V2 plus `autoSendSkipHumanReview` (Phase 136).
    V2Plus,
}

impl SchemaVariant {
    /// Short label: "V0", "V1", "V2", "V2+".
    pub fn label(self) -> &'static str {
        match self {
            Self::Unrecognised => "unrecognised",
            Self::V0 => "V0",
            Self::V1 => "V1",
            Self::V2 => "V2",
            Self::V2Plus => "V2+",
        }
    }

    /// Whether the revision columns the panel measures are all present.
    pub fn has_revision_columns(self) -> bool {
        self >= Self::V1
    }

    /// Whether `AIDraft.autoSendRevisionIterations` exists.
    pub fn has_iterations(self) -> bool {
        self >= Self::V2
    }
}

impl fmt::Display for SchemaVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A column the panel expects, with its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ColumnSpec {
    /// Table.
    pub table: &'static str,
    /// Column.
    pub column: &'static str,
    /// Expected type.
    pub ty: ColumnType,
}

const fn col(table: &'static str, column: &'static str, ty: ColumnType) -> ColumnSpec {
    ColumnSpec { table, column, ty }
}

use ColumnType as T;

/// Columns every variant has and the panel relies on.
pub const BASE_COLUMNS: &[ColumnSpec] = &[
    col("Client", "id", T::Text),
    col("Client", "name", T::Text),
    col("Lead", "id", T::Text),
    col("Lead", "clientId", T::Text),
    col("WorkspaceSettings", "id", T::Text),
    col("WorkspaceSettings", "clientId", T::Text),
    col("WorkspaceSettings", "updatedAt", T::Timestamp),
    col("AIDraft", "id", T::Text),
    col("AIDraft", "leadId", T::Text),
    col("AIDraft", "content", T::Text),
    col("AIDraft", "channel", T::Text),
    col("AIDraft", "status", T::Text),
    col("AIDraft", "createdAt", T::Timestamp),
    col("AIDraft", "updatedAt", T::Timestamp),
    col("AIDraft", "autoSendEvaluatedAt", T::Timestamp),
    col("AIDraft", "autoSendConfidence", T::Float),
    col("AIDraft", "autoSendThreshold", T::Float),
    col("AIDraft", "autoSendAction", T::Text),
];

/// Added by Phase 116 (V1).
pub const V1_COLUMNS: &[ColumnSpec] = &[
    col("AIDraft", "autoSendRevisionAttemptedAt", T::Timestamp),
    col("AIDraft", "autoSendOriginalConfidence", T::Float),
    col("AIDraft", "autoSendRevisionConfidence", T::Float),
    col("AIDraft", "autoSendRevisionApplied", T::Bool),
    col("AIDraft", "autoSendRevisionSelectorUsed", T::Bool),
    col("WorkspaceSettings", "autoSendRevisionEnabled", T::Bool),
];

/// Added by Phase 123/127 (V2).
pub const V2_COLUMNS: &[ColumnSpec] = &[
    col("AIDraft", "autoSendRevisionIterations", T::Int),
    col("WorkspaceSettings", "autoSendRevisionModel", T::Text),
    col(
        "WorkspaceSettings",
        "autoSendRevisionReasoningEffort",
        T::Text,
    ),
    col("WorkspaceSettings", "autoSendRevisionMaxIterations", T::Int),
];

/// Added by Phase 136 (V2+).
pub const V2_PLUS_COLUMNS: &[ColumnSpec] =
    &[col("WorkspaceSettings", "autoSendSkipHumanReview", T::Bool)];

/// The tables whose columns the adapters read from the catalogue.
pub const TABLES: &[&str] = &[
    "AIDraft",
    "WorkspaceSettings",
    "Client",
    "Lead",
    "AIInteraction",
    "DraftPipelineRun",
    "DraftPipelineArtifact",
];

/// The pipeline columns the `loop_error` read needs (Phase 123).
const PIPELINE_COLUMNS: &[(&str, &str)] = &[
    ("DraftPipelineRun", "id"),
    ("DraftPipelineRun", "draftId"),
    ("DraftPipelineArtifact", "runId"),
    ("DraftPipelineArtifact", "stage"),
    ("DraftPipelineArtifact", "iteration"),
];

/// The `AIInteraction` columns the AI-error series reads (contract §1.6).
const AI_INTERACTION_COLUMNS: &[&str] = &["clientId", "featureId", "status", "createdAt"];

/// The index the 72-hour admin window relies on (Phase 116).
pub const REVISION_INDEX_COLUMN: (&str, &str) = ("AIDraft", "autoSendRevisionAttemptedAt");

/// A column whose type differs from the contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TypeMismatch {
    /// `Table.column`.
    pub column: String,
    /// What the contract says.
    pub expected: ColumnType,
    /// What the catalogue says.
    pub found: ColumnType,
}

/// What the panel concluded about a database's schema.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SchemaReport {
    /// The variant recognised.
    pub variant: SchemaVariant,
    /// Columns the panel needs that are absent, as `Table.column`.
    pub missing: Vec<String>,
    /// Columns present with an unexpected type.
    pub type_mismatches: Vec<TypeMismatch>,
    /// Whether an index leads with `AIDraft.autoSendRevisionAttemptedAt`.
    pub revision_index: bool,
    /// Whether `AIInteraction` has the columns the AI-error series reads
    /// (without it, AI errors are reported as not readable, never as 0 by error).
    pub ai_interaction: bool,
    /// Whether the pipeline tables (`DraftPipelineRun`, `DraftPipelineArtifact`)
    /// are there, for the `loop_error` artifacts.
    pub pipeline_artifacts: bool,
}

impl SchemaReport {
    /// Recognises the variant from a catalogue.
    ///
    /// The variant is the highest level whose columns are all present on top of
    /// the levels below it. Columns of the level above that are missing (a
    /// partially applied `db push`) and base columns are listed in `missing`;
    /// optional later levels are not.
    pub fn from_catalog(catalog: &Catalog) -> Self {
        let present: BTreeMap<(&str, &str), ColumnType> = catalog
            .columns
            .iter()
            .map(|c| ((c.table.as_str(), c.column.as_str()), c.ty))
            .collect();
        let missing_of = |specs: &[ColumnSpec]| -> Vec<String> {
            specs
                .iter()
                .filter(|s| !present.contains_key(&(s.table, s.column)))
                .map(|s| format!("{}.{}", s.table, s.column))
                .collect()
        };

        let base_missing = missing_of(BASE_COLUMNS);
        let v1_missing = missing_of(V1_COLUMNS);
        let v2_missing = missing_of(V2_COLUMNS);
        let v2p_missing = missing_of(V2_PLUS_COLUMNS);

        let (variant, mut missing) = if !base_missing.is_empty() {
            let mut m = base_missing;
            m.extend(v1_missing);
            (SchemaVariant::Unrecognised, m)
        } else if !v1_missing.is_empty() {
            (SchemaVariant::V0, v1_missing)
        } else if !v2_missing.is_empty() {
            // A V1 database with only some V2 columns is still V1; list the partial ones.
            let partial = v2_missing.len() < V2_COLUMNS.len();
            (
                SchemaVariant::V1,
                if partial { v2_missing } else { Vec::new() },
            )
        } else if !v2p_missing.is_empty() {
            (SchemaVariant::V2, Vec::new())
        } else {
            (SchemaVariant::V2Plus, Vec::new())
        };
        missing.sort();

        let type_mismatches = BASE_COLUMNS
            .iter()
            .chain(V1_COLUMNS)
            .chain(V2_COLUMNS)
            .chain(V2_PLUS_COLUMNS)
            .filter_map(|s| {
                let found = *present.get(&(s.table, s.column))?;
                (found != s.ty).then(|| TypeMismatch {
                    column: format!("{}.{}", s.table, s.column),
                    expected: s.ty,
                    found,
                })
            })
            .collect();

        let revision_index = catalog
            .index_leading_columns
            .iter()
            .any(|(t, c)| t == REVISION_INDEX_COLUMN.0 && c == REVISION_INDEX_COLUMN.1);

        let ai_interaction = AI_INTERACTION_COLUMNS
            .iter()
            .all(|c| present.contains_key(&("AIInteraction", c)));
        let pipeline_artifacts = PIPELINE_COLUMNS.iter().all(|c| present.contains_key(c));
        Self {
            variant,
            missing,
            type_mismatches,
            revision_index,
            ai_interaction,
            pipeline_artifacts,
        }
    }

    /// Whether the revision metrics can be read.
    pub fn revision_readable(&self) -> bool {
        self.variant.has_revision_columns()
            && !self.type_mismatches.iter().any(|m| {
                V1_COLUMNS
                    .iter()
                    .any(|s| format!("{}.{}", s.table, s.column) == m.column)
            })
    }

    /// One line for people: "V2+", "V0 (pre-116) — missing columns: …".
    pub fn summary(&self) -> String {
        let mut s = match self.variant {
            SchemaVariant::Unrecognised => "schema not recognised".to_owned(),
            SchemaVariant::V0 => "V0 (pre-116, no revision tracking)".to_owned(),
            v => v.label().to_owned(),
        };
        if !self.missing.is_empty() {
            s.push_str(" — missing columns: ");
            s.push_str(&self.missing.join(", "));
        }
        if !self.type_mismatches.is_empty() {
            let list: Vec<String> = self
                .type_mismatches
                .iter()
                .map(|m| format!("{} is {:?}, expected {:?}", m.column, m.found, m.expected))
                .collect();
            s.push_str(" — unexpected types: ");
            s.push_str(&list.join(", "));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(levels: &[&[ColumnSpec]]) -> Catalog {
        Catalog {
            columns: levels
                .iter()
                .flat_map(|l| l.iter())
                .map(|s| CatalogColumn {
                    table: s.table.into(),
                    column: s.column.into(),
                    ty: s.ty,
                })
                .collect(),
            index_leading_columns: vec![("AIDraft".into(), "autoSendRevisionAttemptedAt".into())],
        }
    }

    #[test]
    fn recognises_each_variant() {
        let r = SchemaReport::from_catalog(&catalog(&[BASE_COLUMNS]));
        assert_eq!(r.variant, SchemaVariant::V0);
        assert_eq!(r.missing.len(), V1_COLUMNS.len());
        assert!(
            r.summary()
                .contains("missing columns: AIDraft.autoSendOriginalConfidence")
        );
        assert!(!r.revision_readable());

        let r = SchemaReport::from_catalog(&catalog(&[BASE_COLUMNS, V1_COLUMNS]));
        assert_eq!((r.variant, r.missing.len()), (SchemaVariant::V1, 0));
        assert!(r.revision_readable());

        let r = SchemaReport::from_catalog(&catalog(&[BASE_COLUMNS, V1_COLUMNS, V2_COLUMNS]));
        assert_eq!(r.variant, SchemaVariant::V2);
        let all = [BASE_COLUMNS, V1_COLUMNS, V2_COLUMNS, V2_PLUS_COLUMNS];
        let r = SchemaReport::from_catalog(&catalog(&all));
        assert_eq!(r.variant, SchemaVariant::V2Plus);
        assert_eq!(r.summary(), "V2+");
    }

    #[test]
    fn partial_db_push_lists_exactly_what_is_missing() {
        let mut c = catalog(&[BASE_COLUMNS, V1_COLUMNS]);
        c.columns.retain(|c| c.column != "autoSendRevisionApplied");
        let r = SchemaReport::from_catalog(&c);
        assert_eq!(r.variant, SchemaVariant::V0);
        assert_eq!(
            r.missing,
            vec!["AIDraft.autoSendRevisionApplied".to_owned()]
        );

        let mut c = catalog(&[BASE_COLUMNS, V1_COLUMNS, V2_COLUMNS]);
        c.columns.retain(|c| c.column != "autoSendRevisionModel");
        let r = SchemaReport::from_catalog(&c);
        assert_eq!(r.variant, SchemaVariant::V1);
        assert_eq!(
            r.missing,
            vec!["WorkspaceSettings.autoSendRevisionModel".to_owned()]
        );
    }

    #[test]
    fn missing_base_tables_are_unrecognised_not_a_panic() {
        let r = SchemaReport::from_catalog(&Catalog::default());
        assert_eq!(r.variant, SchemaVariant::Unrecognised);
        assert!(r.missing.contains(&"AIDraft.id".to_owned()));
        assert!(
            r.missing
                .contains(&"AIDraft.autoSendRevisionAttemptedAt".to_owned())
        );
        assert!(!r.revision_index);
    }

    #[test]
    fn wrong_types_are_reported_and_block_revision_reads() {
        let mut c = catalog(&[BASE_COLUMNS, V1_COLUMNS]);
        for col in &mut c.columns {
            if col.column == "autoSendRevisionAttemptedAt" {
                col.ty = ColumnType::TimestampTz;
            }
        }
        let r = SchemaReport::from_catalog(&c);
        assert_eq!(r.variant, SchemaVariant::V1);
        assert_eq!(r.type_mismatches.len(), 1);
        assert!(!r.revision_readable());
        assert!(r.summary().contains("unexpected types"));
    }

    #[test]
    fn maps_catalogue_type_names() {
        assert_eq!(
            ColumnType::from_postgres("timestamp without time zone"),
            ColumnType::Timestamp
        );
        assert_eq!(ColumnType::from_postgres("USER-DEFINED"), ColumnType::Enum);
        assert_eq!(
            ColumnType::from_sqlite("TIMESTAMP(3)"),
            ColumnType::Timestamp
        );
        assert_eq!(
            ColumnType::from_sqlite("double precision"),
            ColumnType::Float
        );
        assert_eq!(ColumnType::from_sqlite("BOOLEAN"), ColumnType::Bool);
        assert_eq!(ColumnType::from_sqlite("blob"), ColumnType::Other);
    }
}
