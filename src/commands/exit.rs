//! The exit rule: how a finished run (one cluster's report, a fleet, or an
//! answer's or a dump's snapshot) and the `--fail-on`/`--fail-on-new`
//! thresholds make its exit code. One rule for every command, as README's
//! "Exit codes" table states it: 3 when the run rests on partial data,
//! whatever its findings; else 1 when a finding reaches `--fail-on`, or a
//! new one reaches `--fail-on-new`; else 0. (2, an error, is not decided
//! here: see [`crate::error`].)

use crate::config::Thresholds;
use crate::error::Outcome;
use crate::report::Report;
use crate::report::fleet::Fleet;
use crate::snapshot::Coverage;
use crate::template::Severity;

/// What the exit rule reads of a finished run.
pub trait Judged {
    /// The run rests on partial data: some kinds could not be read, or a
    /// fleet's cluster failed, is partial or is stale.
    fn is_partial(&self) -> bool;
    /// The highest severity among the findings shown.
    fn highest(&self) -> Option<Severity>;
    /// The highest severity among the findings shown that the baseline
    /// does not hold.
    fn highest_new(&self) -> Option<Severity>;
}

/// The exit code of a finished `run` under `thresholds`.
pub fn outcome(run: &impl Judged, thresholds: Thresholds) -> Outcome {
    if run.is_partial() {
        Outcome::Partial
    } else if reaches(run.highest(), thresholds.fail_on)
        || reaches(run.highest_new(), thresholds.fail_on_new)
    {
        Outcome::Findings
    } else {
        Outcome::Clean
    }
}

/// Whether a finding of severity `highest` is at or above `level`, when
/// there is a level to reach.
fn reaches(highest: Option<Severity>, level: Option<Severity>) -> bool {
    level.is_some_and(|level| highest.is_some_and(|h| h >= level))
}

impl Judged for Report {
    fn is_partial(&self) -> bool {
        Report::is_partial(self)
    }

    fn highest(&self) -> Option<Severity> {
        Report::highest(self)
    }

    fn highest_new(&self) -> Option<Severity> {
        Report::highest_new(self)
    }
}

/// A fleet has no baseline: no finding of it is new.
impl Judged for Fleet {
    fn is_partial(&self) -> bool {
        self.is_incomplete()
    }

    fn highest(&self) -> Option<Severity> {
        Fleet::highest(self)
    }

    fn highest_new(&self) -> Option<Severity> {
        None
    }
}

/// What an answer or a dump read: no findings, only whether it is whole.
impl Judged for Coverage {
    fn is_partial(&self) -> bool {
        !self.is_complete()
    }

    fn highest(&self) -> Option<Severity> {
        None
    }

    fn highest_new(&self) -> Option<Severity> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fleet::{Member, MemberStatus};
    use crate::snapshot::{Gap, GapReason, Kind};
    use Severity::{Critical, High, Low, Medium};

    /// A run as the rule sees it.
    struct Run {
        partial: bool,
        highest: Option<Severity>,
        highest_new: Option<Severity>,
    }

    impl Judged for Run {
        fn is_partial(&self) -> bool {
            self.partial
        }
        fn highest(&self) -> Option<Severity> {
            self.highest
        }
        fn highest_new(&self) -> Option<Severity> {
            self.highest_new
        }
    }

    fn run(highest: Option<Severity>, highest_new: Option<Severity>) -> Run {
        Run {
            partial: false,
            highest,
            highest_new,
        }
    }

    fn fail_on(level: Severity) -> Thresholds {
        Thresholds {
            fail_on: Some(level),
            fail_on_new: None,
        }
    }

    fn fail_on_new(level: Severity) -> Thresholds {
        Thresholds {
            fail_on: None,
            fail_on_new: Some(level),
        }
    }

    #[test]
    fn the_codes_are_the_documented_numbers() {
        let code = |o: Outcome| o as u8;
        assert_eq!(
            [
                Outcome::Clean,
                Outcome::Findings,
                Outcome::Error,
                Outcome::Partial
            ]
            .map(code),
            [0, 1, 2, 3]
        );
    }

    #[test]
    fn without_fail_on_a_complete_run_is_clean_whatever_it_found() {
        for highest in [None, Some(Low), Some(Critical)] {
            let r = run(highest, highest);
            assert_eq!(outcome(&r, Thresholds::default()), Outcome::Clean);
        }
    }

    #[test]
    fn a_finding_at_or_above_fail_on_exits_1() {
        assert_eq!(
            outcome(&run(Some(High), None), fail_on(High)),
            Outcome::Findings
        );
        assert_eq!(
            outcome(&run(Some(Critical), None), fail_on(High)),
            Outcome::Findings
        );
        assert_eq!(
            outcome(&run(Some(Low), None), fail_on(Low)),
            Outcome::Findings
        );
    }

    #[test]
    fn findings_below_fail_on_or_none_at_all_exit_0() {
        assert_eq!(
            outcome(&run(Some(Medium), None), fail_on(High)),
            Outcome::Clean
        );
        assert_eq!(
            outcome(&run(Some(High), None), fail_on(Critical)),
            Outcome::Clean
        );
        assert_eq!(outcome(&run(None, None), fail_on(Low)), Outcome::Clean);
    }

    #[test]
    fn fail_on_new_counts_only_the_findings_the_baseline_lacks() {
        // A critical finding the baseline holds, a medium new one.
        let r = run(Some(Critical), Some(Medium));
        assert_eq!(outcome(&r, fail_on_new(High)), Outcome::Clean);
        assert_eq!(outcome(&r, fail_on_new(Medium)), Outcome::Findings);
        assert_eq!(
            outcome(&run(Some(High), Some(High)), fail_on_new(High)),
            Outcome::Findings
        );
        assert_eq!(
            outcome(&run(Some(High), None), fail_on_new(Low)),
            Outcome::Clean
        );
    }

    #[test]
    fn either_threshold_reached_exits_1() {
        let both = Thresholds {
            fail_on: Some(Critical),
            fail_on_new: Some(High),
        };
        assert_eq!(outcome(&run(Some(Critical), None), both), Outcome::Findings);
        assert_eq!(
            outcome(&run(Some(High), Some(High)), both),
            Outcome::Findings
        );
        assert_eq!(
            outcome(&run(Some(High), Some(Medium)), both),
            Outcome::Clean
        );
    }

    #[test]
    fn a_partial_run_exits_3_even_with_findings_above_the_thresholds() {
        let partial = |highest, highest_new| Run {
            partial: true,
            highest,
            highest_new,
        };
        let both = Thresholds {
            fail_on: Some(Low),
            fail_on_new: Some(Low),
        };
        for t in [Thresholds::default(), fail_on(High), both] {
            assert_eq!(outcome(&partial(None, None), t), Outcome::Partial);
            assert_eq!(
                outcome(&partial(Some(Critical), Some(Critical)), t),
                Outcome::Partial
            );
        }
    }

    fn member(name: &str, status: MemberStatus, highest: Option<Severity>) -> Member {
        let mut m = Member::failed(name.into(), format!("{name}.json"), String::new());
        m.status = status;
        m.highest = highest;
        if status != MemberStatus::Failed {
            m.error = None;
        }
        m
    }

    fn fleet(members: Vec<Member>) -> Fleet {
        Fleet::new("merge", members, Vec::new(), None, Vec::new())
    }

    #[test]
    fn a_fleet_exits_by_its_worst_cluster_and_3_when_one_is_incomplete() {
        let complete = || {
            vec![
                member("a", MemberStatus::Complete, Some(Medium)),
                member("b", MemberStatus::Complete, Some(Critical)),
            ]
        };
        assert_eq!(
            outcome(&fleet(complete()), Thresholds::default()),
            Outcome::Clean
        );
        assert_eq!(
            outcome(&fleet(complete()), fail_on(Critical)),
            Outcome::Findings
        );
        assert_eq!(
            outcome(
                &fleet(vec![member("a", MemberStatus::Complete, Some(Medium))]),
                fail_on(High)
            ),
            Outcome::Clean
        );
        // A fleet has no baseline: --fail-on-new never fires.
        assert_eq!(
            outcome(&fleet(complete()), fail_on_new(Low)),
            Outcome::Clean
        );
        for incomplete in [MemberStatus::Failed, MemberStatus::Partial] {
            let mut members = complete();
            members.push(member("c", incomplete, None));
            assert_eq!(outcome(&fleet(members), fail_on(Low)), Outcome::Partial);
        }
        let mut members = complete();
        members[0].stale = true;
        assert_eq!(outcome(&fleet(members), fail_on(Low)), Outcome::Partial);
    }

    #[test]
    fn a_snapshot_without_findings_exits_0_when_whole_and_3_when_not() {
        let whole = Coverage::default();
        assert_eq!(outcome(&whole, fail_on(Low)), Outcome::Clean);
        let mut partial = Coverage::default();
        partial.gaps.push(pods_forbidden());
        assert_eq!(outcome(&partial, fail_on(Low)), Outcome::Partial);
    }

    fn pods_forbidden() -> Gap {
        Gap {
            kind: Kind::Pod,
            reason: GapReason::Forbidden,
            message: "pods is forbidden".into(),
        }
    }

    /// The demo's report, its snapshot missing the gaps given.
    fn demo_report(gaps: Vec<Gap>) -> Report {
        use crate::findings::{self, AnalysisOptions};
        use crate::selection::{self, Filter, View};
        use crate::template::Template;
        let loaded = crate::source::demo::load().unwrap();
        let mut snapshot = loaded.snapshot;
        snapshot.coverage.gaps = gaps;
        let template = Template::builtin();
        let analysis = findings::analyze(&mut snapshot, &template, &AnalysisOptions::default());
        let selection = selection::select(analysis, &Filter::default(), &View::Scan);
        Report::new(&snapshot, loaded.provenance, &template, selection)
    }

    #[test]
    fn a_report_exits_by_its_findings_and_3_when_partial() {
        let report = demo_report(Vec::new());
        let highest = report.highest().unwrap();
        assert_eq!(outcome(&report, Thresholds::default()), Outcome::Clean);
        assert_eq!(outcome(&report, fail_on(highest)), Outcome::Findings);
        // Without a baseline no finding is new.
        assert_eq!(outcome(&report, fail_on_new(Low)), Outcome::Clean);
        let partial = demo_report(vec![pods_forbidden()]);
        assert_eq!(outcome(&partial, fail_on(Low)), Outcome::Partial);
    }
}
