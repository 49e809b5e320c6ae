//! What the agent does on the customer's page in write mode: the action as the agent view sends
//! it, as the snippet performs it, and what the replica's hit-test finds at its point.

use serde::{Deserialize, Serialize};

/// Something the agent wants done on the customer's page.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AgentAction {
    Click {
        x: f64,
        y: f64,
    },
    DoubleClick {
        x: f64,
        y: f64,
    },
    Key {
        key: String,
    },
    Text {
        text: String,
    },
    /// Text the agent's input method composed (accents, Chinese, Japanese).
    Compose {
        text: String,
    },
    /// Text the agent pasted.
    Paste {
        text: String,
    },
    Scroll {
        x: f64,
        y: f64,
        dx: f64,
        dy: f64,
    },
    /// Option `index` of the `<select>` at the point (toggled in a multiple select).
    Choose {
        x: f64,
        y: f64,
        index: u32,
    },
    /// The value of the date, time, colour or range field at the point.
    SetValue {
        x: f64,
        y: f64,
        value: String,
    },
    Navigate {
        url: String,
    },
    Back,
    Forward,
    Reload,
}

/// An agent's action as the customer's snippet performs it: on the element the replica found
/// at the agent's pointer (`id` is the recorder's node ID), or on the focused element.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PageAction {
    Click { id: u64, x: f64, y: f64 },
    DoubleClick { id: u64, x: f64, y: f64 },
    Text { text: String },
    Compose { text: String },
    Paste { text: String },
    Key { key: String },
    Scroll { id: u64, x: f64, y: f64, dx: f64, dy: f64 },
    Choose { id: u64, x: f64, y: f64, index: u32 },
    SetValue { id: u64, x: f64, y: f64, value: String },
    Navigate { url: String },
    Back,
    Forward,
    Reload,
}

/// What an action lands on, as the replica's hit-test found it.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct Target {
    /// The node at the point (none for keys and text, which go to the focused element).
    pub id: Option<u64>,
    /// A control the agent works with a picker of the agent view's (a click only).
    pub control: Option<Control>,
}

/// Options shown to the agent at most (a country list has about 250).
pub const MAX_OPTIONS: usize = 500;

/// A control on the customer's page that a person works with a native picker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Control {
    /// A `<select>`: its options as the agent's replica shows them (masked ones are refused
    /// before this).
    Select { multiple: bool, options: Vec<Choice> },
    /// An input whose value a picker sets: `input` is its type (date, time, datetime-local,
    /// month, week, color, range).
    Value { input: String, value: String, min: String, max: String, step: String },
}

/// One option of a `<select>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub label: String,
    pub selected: bool,
    pub disabled: bool,
}

impl Control {
    /// Within what the agent view is sent: at most [`MAX_OPTIONS`] options of 200 characters.
    pub fn bounded(mut self) -> Control {
        let cut = |s: &mut String, n: usize| {
            if let Some((at, _)) = s.char_indices().nth(n) {
                s.truncate(at);
            }
        };
        match &mut self {
            Control::Select { options, .. } => {
                options.truncate(MAX_OPTIONS);
                for option in options {
                    cut(&mut option.label, 200);
                }
            }
            Control::Value { input, value, min, max, step } => {
                for field in [input, value, min, max, step] {
                    cut(field, 64);
                }
            }
        }
        self
    }
}
