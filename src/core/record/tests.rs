use super::*;

#[test]
fn outside_text_cannot_become_markup() {
    assert_eq!(inline("a|b *c* [d](e)\nf"), r"a\|b \*c\* \[d\](e) f");
    assert_eq!(
        inline("<script> & `x` _y_ #1 ~z~"),
        r"\<script\> \& \`x\` \_y\_ \#1 \~z\~"
    );
}

#[test]
fn spans_read_for_people() {
    assert_eq!(span(chrono::Duration::milliseconds(4_230)), "4.2 s");
    assert_eq!(span(chrono::Duration::seconds(185)), "3 min 5 s");
    assert_eq!(span(chrono::Duration::minutes(130)), "2 h 10 min");
    assert_eq!(span(chrono::Duration::seconds(-3)), "0.0 s");
    assert_eq!(pct(Some(0.125)), "12.5 %");
    assert_eq!(pct(None), "–");
}

#[test]
fn bins_keep_the_points_bounded() {
    assert_eq!(bin_for(2880, 240), 12);
    assert_eq!(bin_for(100, 240), 1);
    assert_eq!(bin_for(0, 240), 1);
    assert_eq!(bin_for(241, 240), 2);
}

#[test]
fn loop_exhaustion_is_the_share_that_stopped_exhausted() {
    let mut l = Loops::default();
    assert_eq!(l.exhaustion(), None);
    l.total = 4;
    l.by_reason.insert("exhausted".into(), 1);
    l.by_reason.insert("threshold_met".into(), 3);
    assert_eq!(l.exhaustion(), Some(0.25));
}
