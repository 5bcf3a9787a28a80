//! One record of an audit log, whatever its shape, into a tally: an Event
//! (the log backend's line, an item of an `EventList` or of a JSON array);
//! a CloudWatch Logs record whose `message` is the Event as a string (a
//! line of an export, an item of `aws logs filter-log-events`' `events` or
//! of a subscription's `logEvents`); a whole `EventList`, `{"events":
//! [...]}` or `{"logEvents": [...]}` on one line; or a line of a CloudWatch
//! export to S3 (`2024-01-01T00:00:00.000Z {event}`).
//!
//! A record that is none of these is counted as unparseable with its line
//! and what is wrong (not JSON, not an audit Event), never with anything
//! it holds: serde's messages may quote values, so only their category is
//! kept.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::audit::event::Text;
use crate::audit::{Event, Problem, Tally};

/// A record that wraps others: a CloudWatch record, or a list of records.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    /// A CloudWatch Logs record's message: the Event, as a string.
    #[serde(default, borrow)]
    message: Option<Text<'a>>,
    /// An `EventList`'s Events.
    #[serde(default, borrow)]
    items: Option<Vec<&'a RawValue>>,
    /// `aws logs filter-log-events` or `get-log-events`: CloudWatch records.
    #[serde(default, borrow)]
    events: Option<Vec<&'a RawValue>>,
    /// A CloudWatch Logs subscription's records.
    #[serde(default, borrow)]
    log_events: Option<Vec<&'a RawValue>>,
}

/// How a record was read, to try that shape first for the next one: the
/// records of a file have one shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Shape {
    /// An Event.
    #[default]
    Event,
    /// A record wrapping Events.
    Envelope,
}

/// What one record held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Read {
    /// Audit events added.
    pub(super) events: u64,
    /// What was wrong with the record, or with the first of the records it
    /// wraps that could not be read (each is counted as unparseable).
    pub(super) problem: Option<Problem>,
}

/// Reads one record, which starts at `line` of `file`, into `tally`;
/// what cannot be read is counted as unparseable there.
pub(super) fn read(
    text: &[u8],
    file: &str,
    line: u64,
    tally: &mut Tally,
    shape: &mut Shape,
) -> Read {
    let mut problems = Vec::new();
    let events = match shaped(s3_export_line(text), tally, shape, &mut problems) {
        Ok(n) => n,
        Err(p) => {
            problems.push(p);
            0
        }
    };
    for &p in &problems {
        tally.add_unparseable(file, line, p);
    }
    Read {
        events,
        problem: problems.first().copied(),
    }
}

/// The events of a record, read as the shape the previous record had,
/// then as the other; items of a list that cannot be read go to `problems`.
fn shaped(
    text: &[u8],
    tally: &mut Tally,
    shape: &mut Shape,
    problems: &mut Vec<Problem>,
) -> Result<u64, Problem> {
    if *shape == Shape::Envelope {
        match envelope(text, tally, problems) {
            Err(Problem::NotAnEvent) => {}
            outcome => return outcome,
        }
    }
    match event(text, tally) {
        Ok(()) => {
            *shape = Shape::Event;
            Ok(1)
        }
        // A CloudWatch record (its `timestamp` a number) or a list.
        Err(Problem::NotAnEvent) if *shape == Shape::Event => {
            let n = envelope(text, tally, problems)?;
            *shape = Shape::Envelope;
            Ok(n)
        }
        Err(problem) => Err(problem),
    }
}

/// A line of a CloudWatch export to S3 is the record's time, a space, and
/// the message: the message. Any other text as it is.
fn s3_export_line(text: &[u8]) -> &[u8] {
    if text.first().is_some_and(u8::is_ascii_digit)
        && let Some(space) = memchr::memchr(b' ', text)
    {
        let rest = text[space..].trim_ascii_start();
        if rest.starts_with(b"{") {
            return rest;
        }
    }
    text
}

/// What serde's error says of the text, without its message.
fn problem(e: &serde_json::Error) -> Problem {
    match e.classify() {
        serde_json::error::Category::Data => Problem::NotAnEvent,
        _ => Problem::NotJson,
    }
}

/// Reads `text` as one Event.
fn event(text: &[u8], tally: &mut Tally) -> Result<(), Problem> {
    let event: Event<'_> = serde_json::from_slice(text).map_err(|e| problem(&e))?;
    tally.add(&event)
}

/// Reads `text` as a record wrapping Events; fails with `NotAnEvent`
/// when it is not one (and adds nothing then). Items of a list that
/// cannot be read go to `problems`.
fn envelope(text: &[u8], tally: &mut Tally, problems: &mut Vec<Problem>) -> Result<u64, Problem> {
    let envelope: Envelope<'_> = serde_json::from_slice(text).map_err(|e| problem(&e))?;
    if let Some(message) = envelope.message {
        // A CloudWatch record: its message is an Event, or it is not one
        // (another log's line).
        event(message.as_bytes(), tally).map_err(|_| Problem::NotAnEvent)?;
        return Ok(1);
    }
    let list = (envelope.items.or(envelope.events)).or(envelope.log_events);
    let Some(items) = list else {
        return Err(Problem::NotAnEvent);
    };
    let mut events = 0;
    for item in items {
        match item_event(item.get().as_bytes(), tally) {
            Ok(()) => events += 1,
            Err(p) => problems.push(p),
        }
    }
    Ok(events)
}

/// Reads an item of a list: an Event, or a CloudWatch record wrapping one
/// (never a list again).
pub(super) fn item_event(item: &[u8], tally: &mut Tally) -> Result<(), Problem> {
    match event(item, tally) {
        Err(Problem::NotAnEvent) => match serde_json::from_slice::<Envelope<'_>>(item) {
            Ok(Envelope {
                message: Some(m), ..
            }) => event(m.as_bytes(), tally).map_err(|_| Problem::NotAnEvent),
            _ => Err(Problem::NotAnEvent),
        },
        outcome => outcome,
    }
}
