//! The Drafts tab's Review mode (runbook step 6): each sampled draft's text
//! before and after the revision side by side with a word diff, its
//! confidences and the reviser's own account, and the reviewer's pass/fail
//! with a reason (keys P, F, ← →). Verdicts are audit entries: a draft
//! already judged shows who judged it, and the decision against the policy
//! target comes from the Wilson interval of every verdict on the sample.

use crate::core::export::DraftRow;
use crate::core::review::{self, Decision, FailReason, NoBefore, Piece, ReviewText, Verdict};
use crate::gui::colors;
use crate::gui::command::AppCommand;
use crate::ops::export::Sample;
use crate::worker::Snapshot;
use crate::worker::protocol::VerdictAsk;
use egui::text::LayoutJob;
use egui::{Color32, FontId, RichText, TextFormat, Ui};

/// The review's state between frames.
#[derive(Debug, Default)]
pub struct ReviewState {
    /// The draft shown (index into the sample's rows).
    pub at: usize,
    /// The reason picked for a fail.
    pub reason: Option<FailReason>,
    /// The note being written.
    pub note: String,
    /// The last verdict's outcome (what was written, or why not).
    pub status: Option<Result<String, String>>,
    /// A verdict is being recorded.
    pub sending: bool,
}

impl ReviewState {
    /// A verdict was recorded (or not).
    pub fn verdict_done(&mut self, result: Result<String, String>) {
        self.sending = false;
        if result.is_ok() {
            self.note.clear();
            self.reason = None;
        }
        self.status = Some(result);
    }
}

/// The policy target in force (the snapshot's, the default before one).
fn target(snapshot: &Snapshot) -> f64 {
    if snapshot.quality_target > 0.0 {
        snapshot.quality_target
    } else {
        crate::core::profile::DEFAULT_QUALITY_TARGET
    }
}

/// Draws the review of `sample`; returns the verdicts given.
pub fn review_ui(
    ui: &mut Ui,
    state: &mut ReviewState,
    sample: &Sample,
    snapshot: &Snapshot,
) -> Vec<AppCommand> {
    let mut out = Vec::new();
    let verdicts = crate::adapters::audit::review::verdicts(&snapshot.audit);
    let ids: Vec<String> = sample.rows.iter().map(|r| r.draft_id.clone()).collect();
    let outcome = review::outcome(&ids, &verdicts, target(snapshot));
    decision_ui(ui, &outcome);
    let n = sample.rows.len();
    if n == 0 {
        return out;
    }
    state.at = state.at.min(n - 1);
    let typing = ui.ctx().egui_wants_keyboard_input();
    let (prev_key, next_key, pass_key, fail_key) = ui.input(|i| {
        (
            !typing && i.key_pressed(egui::Key::ArrowLeft),
            !typing && i.key_pressed(egui::Key::ArrowRight),
            !typing && i.key_pressed(egui::Key::P),
            !typing && i.key_pressed(egui::Key::F),
        )
    });
    ui.horizontal(|ui| {
        let prev = ui
            .add_enabled(state.at > 0, egui::Button::new("◀ Previous draft"))
            .on_hover_text("The previous sampled draft (←)")
            .clicked();
        ui.label(format!("Draft {} of {n}", state.at + 1));
        let next = ui
            .add_enabled(state.at + 1 < n, egui::Button::new("Next draft ▶"))
            .on_hover_text("The next sampled draft (→)")
            .clicked();
        if (prev || prev_key) && state.at > 0 {
            state.at -= 1;
            state.status = None;
        }
        if (next || next_key) && state.at + 1 < n {
            state.at += 1;
            state.status = None;
        }
    });
    let row = &sample.rows[state.at];
    let texts = match &sample.texts {
        Ok(t) => t.iter().find(|t| t.draft_id == row.draft_id),
        Err(e) => {
            ui.colored_label(
                colors::FAIL,
                format!("The drafts' texts could not be read: {e}"),
            );
            None
        }
    };
    draft_header_ui(ui, row);
    let latest = review::latest(&verdicts);
    if let Some(v) = latest.get(row.draft_id.as_str()) {
        judged_ui(ui, v);
    }
    if let Some(t) = texts {
        texts_ui(ui, t);
    }
    verdict_ui(
        ui,
        state,
        row,
        sample.request.seed,
        pass_key,
        fail_key,
        &mut out,
    );
    out
}

fn decision_ui(ui: &mut Ui, o: &review::Outcome) {
    let color = match o.decision {
        Decision::MeetsPolicy => colors::OK,
        Decision::FailsPolicy => colors::FAIL,
        Decision::Undecided { .. } => colors::WARN,
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Quality review:").strong());
        ui.colored_label(color, o.headline());
    })
    .response
    .on_hover_text(
        "The pass rate's Wilson 95 % interval against the profile's quality_target: \"meets policy\" when its lower bound is at or above the target, \"fails policy\" when its upper bound is below, otherwise undecided with how many more reviews (at the rate so far) would decide it. The latest verdict per draft counts, from every reviewer.",
    );
    ui.small(format!(
        "{} of {} sampled drafts judged",
        o.judged, o.sample
    ));
    for (reason, ids) in &o.failures {
        ui.small(format!(
            "failed for {} ({}): {}",
            reason.label(),
            ids.len(),
            ids.join(", ")
        ));
    }
}

fn draft_header_ui(ui: &mut Ui, row: &DraftRow) {
    let conf = |c: Option<f64>| c.map_or("?".to_owned(), |c| format!("{c:.2}"));
    ui.label(RichText::new(format!("Draft {} · {}", row.draft_id, row.workspace_name)).strong());
    ui.label(format!(
        "confidence {} → {} (threshold {}) · {} · iterations {} · action {}",
        conf(row.original_confidence),
        conf(row.revised_confidence),
        conf(row.threshold),
        row.channel,
        row.iterations.map_or("?".to_owned(), |i| i.to_string()),
        row.action.as_deref().unwrap_or("none yet"),
    ));
}

fn judged_ui(ui: &mut Ui, v: &Verdict) {
    let (color, what) = if v.pass {
        (colors::OK, "pass".to_owned())
    } else {
        (
            colors::FAIL,
            format!("fail ({})", v.reason.unwrap_or(FailReason::Other).label()),
        )
    };
    ui.horizontal_wrapped(|ui| {
        ui.colored_label(color, format!("Judged {what}"));
        ui.label(format!(
            "by {} at {} UTC{}",
            v.reviewer,
            v.at.format("%H:%M:%S"),
            if v.note.is_empty() {
                String::new()
            } else {
                format!(": {}", v.note)
            }
        ));
    });
}

fn texts_ui(ui: &mut Ui, t: &ReviewText) {
    let revised = t.revised().to_owned();
    ui.columns(2, |cols| {
        cols[0]
            .label(RichText::new("Before the revision (the text the evaluator scored)").strong());
        match &t.before {
            Ok(before) => {
                text_box(&mut cols[0], "before", before);
            }
            Err(why) => {
                cols[0].colored_label(colors::UNKNOWN, why.explain());
            }
        }
        cols[1].label(
            RichText::new(if t.after.is_some() {
                "After (the reviser's text of the applied iteration)"
            } else {
                "After (the draft's content: no reviser artifact for a single pass)"
            })
            .strong(),
        );
        text_box(&mut cols[1], "after", &revised);
    });
    if let Ok(before) = &t.before {
        ui.label(RichText::new("Word diff (removed struck through, added underlined)").strong());
        let job = diff_job(&review::word_diff(before, &revised), ui);
        ui.add(egui::Label::new(job).wrap());
    } else if matches!(t.before, Err(NoBefore::NoRun)) {
        ui.small("No diff: there is nothing from before to compare with (never a guessed text).");
    }
    if t.content_moved() {
        ui.label(RichText::new("The draft's content now differs from the reviser's text").strong())
            .on_hover_text("An availability refresh or a person changed it after the apply, or the apply trimmed it to the channel's limit (contract §9)");
        text_box(ui, "content now", &t.content_now);
    }
    if let Some(a) = &t.account {
        for (title, items) in [
            ("The reviser's changes", &a.changes_made),
            ("Issues it addressed", &a.issues_addressed),
            (
                "Requirements it left unresolved",
                &a.unresolved_requirements,
            ),
        ] {
            if items.is_empty() {
                continue;
            }
            ui.label(RichText::new(title).strong());
            for i in items {
                ui.label(format!("• {i}"));
            }
        }
    }
}

/// A read-only text, byte for byte, selectable.
fn text_box(ui: &mut Ui, label: &str, text: &str) {
    let mut shown = text;
    ui.add(
        egui::TextEdit::multiline(&mut shown)
            .desired_width(f32::INFINITY)
            .desired_rows(4),
    )
    .on_hover_text(format!("The {label} text, as stored"));
}

fn diff_job(pieces: &[Piece], ui: &Ui) -> LayoutJob {
    let font = FontId::proportional(14.0);
    let text = ui.visuals().text_color();
    let mut job = LayoutJob::default();
    for p in pieces {
        let (s, format) = match p {
            Piece::Same(s) => (s, TextFormat::simple(font.clone(), text)),
            Piece::Removed(s) => (
                s,
                TextFormat {
                    strikethrough: egui::Stroke::new(1.5, colors::FAIL),
                    color: colors::FAIL,
                    ..TextFormat::simple(font.clone(), text)
                },
            ),
            Piece::Added(s) => (
                s,
                TextFormat {
                    underline: egui::Stroke::new(1.5, colors::OK),
                    color: colors::OK,
                    background: Color32::from_rgba_unmultiplied(60, 160, 90, 40),
                    ..TextFormat::simple(font.clone(), text)
                },
            ),
        };
        job.append(s, 0.0, format);
    }
    job
}

#[allow(clippy::too_many_arguments)]
fn verdict_ui(
    ui: &mut Ui,
    state: &mut ReviewState,
    row: &DraftRow,
    seed: u64,
    pass_key: bool,
    fail_key: bool,
    out: &mut Vec<AppCommand>,
) {
    ui.separator();
    ui.horizontal_wrapped(|ui| {
        let l = ui.label("Fail reason:");
        egui::ComboBox::from_id_salt("review_reason")
            .selected_text(state.reason.map_or("choose…", FailReason::label))
            .show_ui(ui, |ui| {
                for r in FailReason::ALL {
                    ui.selectable_value(&mut state.reason, Some(r), r.label());
                }
            })
            .response
            .labelled_by(l.id);
        let l = ui.label("Note:");
        ui.add(egui::TextEdit::singleline(&mut state.note).desired_width(280.0))
            .labelled_by(l.id);
    });
    ui.horizontal(|ui| {
        let pass = ui
            .add_enabled(!state.sending, egui::Button::new("Pass"))
            .on_hover_text("This revision meets policy (P)")
            .clicked();
        let can_fail = !state.sending && state.reason.is_some();
        let fail = ui
            .add_enabled(can_fail, egui::Button::new("Fail"))
            .on_hover_text(if state.reason.is_some() {
                "This revision does not meet policy, for the reason chosen (F)"
            } else {
                "Choose a reason first (tone, factual error, …)"
            })
            .clicked();
        let give = |pass: bool, state: &mut ReviewState, out: &mut Vec<AppCommand>| {
            state.sending = true;
            state.status = None;
            out.push(AppCommand::RecordVerdict(VerdictAsk {
                draft_id: row.draft_id.clone(),
                pass,
                reason: (!pass).then_some(state.reason).flatten(),
                note: state.note.clone(),
                seed,
            }));
        };
        if (pass || pass_key) && !state.sending {
            give(true, state, out);
        } else if (fail || fail_key) && can_fail {
            give(false, state, out);
        }
        if state.sending {
            ui.spinner();
        }
    });
    match &state.status {
        Some(Ok(what)) => {
            ui.colored_label(colors::OK, what);
        }
        Some(Err(why)) => {
            ui.colored_label(colors::FAIL, why);
        }
        None => {}
    }
}
