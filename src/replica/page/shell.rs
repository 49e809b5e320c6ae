//! The typed bridge to the replica shell (`window.__replica`, web/replica/replica.js): each
//! call names one of the shell's methods and passes its arguments as JSON, and each answer
//! comes back into a Rust type, so neither side reads the other's text by hand.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::replica::{Oversize, ReplicaError};

/// The shell's methods, as web/replica/replica.js names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Method {
    /// One frame's worth of change (answers [`Applied`]).
    Frame,
    /// One piece of a big batch of events, kept until a frame takes them.
    Receive,
    /// Renders a frame of the page as it is.
    Nudge,
    Rules,
    SetPrivate,
    /// What hidden thing lies at a point (answers an optional [`crate::wire::Hidden`]).
    Probe,
    /// Hit-tests an agent's action against the profile.
    Check,
    Display,
    /// Gives the page up for the too-large notice.
    GiveUp,
}

impl Method {
    /// Every method, for the test that holds them to the shell.
    #[cfg(test)]
    const ALL: [Method; 9] = [
        Method::Frame,
        Method::Receive,
        Method::Nudge,
        Method::Rules,
        Method::SetPrivate,
        Method::Probe,
        Method::Check,
        Method::Display,
        Method::GiveUp,
    ];

    fn name(self) -> &'static str {
        match self {
            Method::Frame => "frame",
            Method::Receive => "receive",
            Method::Nudge => "nudge",
            Method::Rules => "rules",
            Method::SetPrivate => "setPrivate",
            Method::Probe => "probe",
            Method::Check => "check",
            Method::Display => "display",
            Method::GiveUp => "giveUp",
        }
    }
}

/// One call of the shell, written as it is built: the events of a frame, up to a piece of a
/// big batch, are copied once into the call and once out of it.
#[derive(Debug, Clone)]
pub(super) struct ShellCall {
    method: Method,
    /// `window.__replica.method(` and the arguments so far.
    call: String,
    first: bool,
}

impl ShellCall {
    pub fn new(method: Method) -> ShellCall {
        ShellCall { method, call: format!("window.__replica.{}(", method.name()), first: true }
    }

    fn push(mut self, json: &str) -> ShellCall {
        if !self.first {
            self.call.push_str(", ");
        }
        self.first = false;
        self.call.push_str(json);
        self
    }

    /// One more argument, as JSON: a JSON text is a JavaScript expression, and nothing in it
    /// can run.
    pub fn arg(self, value: &impl Serialize) -> ShellCall {
        self.push(&crate::wire::to_text(value))
    }

    /// rrweb events as the customer sent them: a JSON array the server already validated
    /// ([`crate::wire::validate_events`]), passed as it is rather than parsed and written
    /// again; `None` for the pieces sent before with [`Method::Receive`].
    pub fn events(self, json: Option<&str>) -> ShellCall {
        self.push(json.unwrap_or("null"))
    }

    /// The JavaScript that makes the call.
    pub fn expression(&self) -> String {
        format!("{})", self.call)
    }

    /// The shell's answer as `T`; an answer of another shape is the shell's fault, reported
    /// like anything else it raises.
    pub fn answer<T: DeserializeOwned>(&self, value: serde_json::Value) -> Result<T, ReplicaError> {
        serde_json::from_value(value)
            .map_err(|e| ReplicaError::Script(format!("the shell's {} answered {e}", self.method.name())))
    }
}

/// What one frame's worth of change did: the shell's `frame` answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Applied {
    /// Masked values that arrived unmasked (and were masked before rendering).
    #[serde(default)]
    pub defects: u64,
    /// Whether animations are still going, so the page needs ticks to show them.
    #[serde(default)]
    pub animating: bool,
    /// What the page outgrew the replica's budget of, if it did (the shell shows a notice).
    #[serde(default)]
    pub too_large: Option<Oversize>,
    /// How many nodes the page held then.
    #[serde(default)]
    pub nodes: u64,
    /// What the change repainted, in the shell's CSS pixels (x, y, width, height); `None` for
    /// the whole screen (web/replica/damage.js).
    #[serde(default)]
    pub damage: Option<Vec<[f64; 4]>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_pass_json_and_the_events_as_they_came() {
        let call = ShellCall::new(Method::Frame).events(Some(r#"[{"type":3}]"#)).arg(&Some([1.5, 2.0]));
        assert_eq!(call.expression(), r#"window.__replica.frame([{"type":3}], [1.5,2.0])"#);
        let pieces = ShellCall::new(Method::Frame).events(None).arg(&None::<[f64; 2]>);
        assert_eq!(pieces.expression(), "window.__replica.frame(null, null)");
        // A string argument cannot end the call early: it travels as a JSON string.
        let piece = ShellCall::new(Method::Receive).arg(&"\"); alert(1); (\"");
        assert_eq!(piece.expression(), r#"window.__replica.receive("\"); alert(1); (\"")"#);
    }

    #[test]
    fn answers_come_back_typed_and_a_wrong_shape_is_the_shells_fault() {
        let call = ShellCall::new(Method::Frame);
        let full = serde_json::json!({ "defects": 2, "animating": true, "too_large": "nodes", "nodes": 100001 });
        let answer: Applied = call.answer(full).unwrap();
        let expected =
            Applied { defects: 2, animating: true, too_large: Some(Oversize::Nodes), nodes: 100001, damage: None };
        assert_eq!(answer, expected);
        let hinted: Applied = call.answer(serde_json::json!({ "damage": [[1.0, 2.0, 3.0, 4.0]] })).unwrap();
        assert_eq!(hinted.damage, Some(vec![[1.0, 2.0, 3.0, 4.0]]));
        let quiet: Applied = call.answer(serde_json::json!({ "defects": 0, "animating": false })).unwrap();
        assert_eq!(quiet, Applied::default());
        let wrong = call.answer::<Applied>(serde_json::json!({ "defects": "many" }));
        assert!(matches!(wrong, Err(ReplicaError::Script(e)) if e.contains("frame")));
    }

    #[test]
    fn every_method_called_is_one_the_shell_has() {
        let shell = include_str!("../../../web/replica/replica.js");
        for method in Method::ALL {
            let name = method.name();
            let defined = shell.contains(&format!("    {name}(")) || shell.contains(&format!("    async {name}("));
            assert!(defined, "web/replica/replica.js has no window.__replica.{name}");
        }
    }
}
