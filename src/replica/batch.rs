//! The customer's changes that wait for a session's next frame: event arrays merged into as few
//! replay calls as possible, and the newest pointer position (only the last one matters).

/// Event arrays joined into one replay call at most: a backlog is caught up in a few calls,
/// not one per message, while one call stays bounded.
const PARTS_PER_CALL: usize = 64;
/// Past this many bytes of events waiting, they are applied without waiting for the frame's
/// turn, so a busy customer cannot make the server hold an unbounded backlog.
const MAX_WAITING_BYTES: usize = 4 * 1024 * 1024;

/// What waits for the next frame.
#[derive(Debug, Default)]
pub struct Batch {
    /// rrweb event arrays, each validated JSON, in the order they came.
    events: Vec<String>,
    /// Bytes in `events`.
    bytes: usize,
    /// Where the customer's pointer is now, if it moved.
    pointer: Option<(f64, f64)>,
}

impl Batch {
    /// Adds an event array after those already waiting.
    pub fn push_events(&mut self, json: String) {
        self.bytes += json.len();
        self.events.push(json);
    }

    /// Notes where the customer's pointer went.
    pub fn move_pointer(&mut self, x: f64, y: f64) {
        self.pointer = Some((x, y));
    }

    /// Nothing waits.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.pointer.is_none()
    }

    /// Whether page content waits (not only the pointer, which costs a frame only when it
    /// moves onto something with a hover style).
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Too much waits to keep it back any longer.
    pub fn is_full(&self) -> bool {
        self.bytes > MAX_WAITING_BYTES
    }

    /// Empties the batch into replay calls: each a JSON array of events, the pointer going
    /// with the last call (after every event, as it came).
    pub fn take(&mut self) -> Vec<(String, Option<(f64, f64)>)> {
        let events = std::mem::take(&mut self.events);
        self.bytes = 0;
        let pointer = self.pointer.take();
        let mut calls: Vec<(String, Option<(f64, f64)>)> =
            events.chunks(PARTS_PER_CALL).map(|parts| (join_arrays(parts), None)).collect();
        match calls.last_mut() {
            Some(last) => last.1 = pointer,
            None if pointer.is_some() => calls.push(("[]".to_string(), pointer)),
            None => {}
        }
        calls
    }
}

/// Joins validated JSON arrays into one array of all their elements.
fn join_arrays(parts: &[String]) -> String {
    if let [one] = parts {
        return one.clone();
    }
    let inner: Vec<&str> = parts
        .iter()
        .filter_map(|p| p.trim().strip_prefix('[')?.strip_suffix(']'))
        .filter(|p| !p.trim().is_empty())
        .collect();
    format!("[{}]", inner.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_arrays_join_into_one_call_with_the_newest_pointer_last() {
        let mut batch = Batch::default();
        assert!(batch.is_empty() && batch.take().is_empty());
        batch.push_events("[0,{\"b\":[1,2]}]".into());
        batch.move_pointer(1.0, 2.0);
        batch.push_events(" [{\"a\":1}] ".into());
        batch.push_events("[]".into());
        batch.move_pointer(3.0, 4.0);
        assert!(batch.has_events() && !batch.is_full());
        let calls = batch.take();
        assert_eq!(calls, vec![(r#"[0,{"b":[1,2]},{"a":1}]"#.to_string(), Some((3.0, 4.0)))]);
        let parsed: serde_json::Value = serde_json::from_str(&calls[0].0).unwrap();
        assert_eq!(parsed.as_array().unwrap().len(), 3);
        assert!(batch.is_empty());
    }

    #[test]
    fn a_lone_array_passes_untouched_and_a_lone_pointer_makes_an_empty_call() {
        let mut batch = Batch::default();
        batch.push_events("[7]".into());
        assert_eq!(batch.take(), vec![("[7]".to_string(), None)]);
        batch.move_pointer(5.0, 6.0);
        assert!(!batch.has_events() && !batch.is_empty());
        assert_eq!(batch.take(), vec![("[]".to_string(), Some((5.0, 6.0)))]);
    }

    #[test]
    fn a_long_backlog_goes_in_bounded_calls_and_a_huge_one_is_full() {
        let mut batch = Batch::default();
        for i in 0..(PARTS_PER_CALL * 2 + 1) {
            batch.push_events(format!("[{i}]"));
        }
        let calls = batch.take();
        assert_eq!(calls.len(), 3);
        let elements: usize = calls.iter().map(|(json, _)| serde_json::from_str::<Vec<u64>>(json).unwrap().len()).sum();
        assert_eq!(elements, PARTS_PER_CALL * 2 + 1);
        batch.push_events(format!("[\"{}\"]", "x".repeat(MAX_WAITING_BYTES)));
        assert!(batch.is_full());
    }
}
