//! The kinds of value a setting takes, each parsed from its text with an error that says what is
//! allowed: durations, counts, switchable addresses and paths, comma-separated lists.

use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

/// A setting that is either `off` or a value: the demo site's address, the headless shell.
#[derive(Debug, Clone, PartialEq)]
pub enum OffOr<T> {
    Off,
    On(T),
}

impl<T> OffOr<T> {
    /// The value, or `None` when switched off.
    pub fn on(&self) -> Option<&T> {
        match self {
            OffOr::Off => None,
            OffOr::On(value) => Some(value),
        }
    }
}

impl<T: FromStr<Err: Display>> FromStr for OffOr<T> {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "off" => Ok(OffOr::Off),
            _ => text.parse().map(OffOr::On).map_err(|e| format!("{e} (or `off`)")),
        }
    }
}

/// A comma-separated list; blanks around items and empty items are ignored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CommaList<T>(pub Vec<T>);

impl<T: FromStr<Err: Display>> FromStr for CommaList<T> {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        text.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| item.parse().map_err(|e| format!("{item:?}: {e}")))
            .collect::<Result<_, _>>()
            .map(CommaList)
    }
}

/// An IP address in a list, with an error that shows what one looks like.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IpAddress(pub std::net::IpAddr);

impl FromStr for IpAddress {
    type Err = &'static str;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse().map(IpAddress).map_err(|_| "not an IP address (like 10.0.0.2 or ::1)")
    }
}

/// An origin in a list: `scheme://host[:port]`, a trailing slash forgiven.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin(pub String);

impl FromStr for Origin {
    type Err = &'static str;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim_end_matches('/');
        match crate::profile::origin_of(text) {
            Some(origin) if origin == text => Ok(Origin(origin)),
            _ => Err("not an origin (scheme://host[:port], no path)"),
        }
    }
}

/// `250ms`, `90s`, `10m`, `1h`, `1h30m`, `2days`; a bare number means seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    match text.parse::<u64>() {
        Ok(seconds) => Some(Duration::from_secs(seconds)),
        Err(_) => humantime::parse_duration(text).ok(),
    }
}

/// A duration setting's parser.
pub fn duration(text: &str) -> Result<Duration, String> {
    parse_duration(text).ok_or_else(|| "not a duration (like 250ms, 90s, 10m or 1h)".into())
}

/// A count of 1 or more.
pub fn positive(text: &str) -> Result<usize, String> {
    text.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| "not a whole number of 1 or more".into())
}

/// Device pixels per CSS pixel, 1 to 3.
pub fn pixel_ratio(text: &str) -> Result<f64, String> {
    text.trim().parse().ok().filter(|r| (1.0..=3.0).contains(r)).ok_or_else(|| "not a pixel ratio from 1 to 3".into())
}

/// Megabytes, 16 or more: less would not hold a page at all.
pub fn megabytes(text: &str) -> Result<u64, String> {
    text.trim().parse().ok().filter(|mb| *mb >= 16).ok_or_else(|| "not a number of megabytes, 16 or more".into())
}

/// A number within `range`, for the benchmark's options.
pub fn within<T>(
    range: std::ops::RangeInclusive<T>,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: FromStr + PartialOrd + Display + Clone + Send + Sync + 'static,
{
    move |text: &str| {
        text.trim()
            .parse()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| format!("expected a number from {} to {}", range.start(), range.end()))
    }
}
