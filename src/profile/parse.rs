//! Reading one profile file: the file as written, with every value's place kept, checked into
//! a [`Profile`] or refused with the line at fault.

use std::path::Path;

use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use super::{origin_of, pattern, selector, Masking, Profile, ProfileError, Site, WriteMode};

/// The file as written: every value keeps its place, so errors can name the line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    site: SiteFile,
    #[serde(default)]
    write_mode: WriteModeFile,
    #[serde(default)]
    masking: MaskingFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteFile {
    origins: Spanned<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct WriteModeFile {
    enabled: bool,
    disable_submit: bool,
    disabled: Vec<Spanned<String>>,
    forbidden_paths: Vec<Spanned<String>>,
}

impl Default for WriteModeFile {
    fn default() -> Self {
        WriteModeFile { enabled: true, disable_submit: true, disabled: Vec::new(), forbidden_paths: Vec::new() }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct MaskingFile {
    masked: Vec<Spanned<String>>,
    blocked: Vec<Spanned<String>>,
    masked_pages: Vec<Spanned<String>>,
}

/// 1-based line of a byte offset, for error messages.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl Profile {
    /// Parses and checks one profile file's text.
    pub fn parse(file: &Path, text: &str) -> Result<Profile, ProfileError> {
        let name = file.display().to_string();
        let invalid = |span: std::ops::Range<usize>, message: String| ProfileError::Invalid {
            file: name.clone(),
            message: format!("line {}: {message}", line_of(text, span.start)),
        };
        let raw: ProfileFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| format!("line {}: ", line_of(text, s.start))).unwrap_or_default();
            ProfileError::Invalid { file: name.clone(), message: format!("{line}{}", e.message().trim_end()) }
        })?;
        if raw.site.origins.get_ref().is_empty() {
            return Err(invalid(raw.site.origins.span(), "[site] origins is empty: list the site's origins".into()));
        }
        for origin in raw.site.origins.get_ref() {
            let o = origin.get_ref();
            if origin_of(o).as_deref() != Some(o.as_str()) {
                return Err(invalid(
                    origin.span(),
                    format!("{o:?} is not an origin (write it as scheme://host[:port], lower case, no path)"),
                ));
            }
        }
        let selectors = |field: &str, list: &[Spanned<String>]| -> Result<Vec<String>, ProfileError> {
            list.iter()
                .map(|s| match selector::check(s.get_ref()) {
                    Ok(()) => Ok(s.get_ref().trim().to_string()),
                    Err(why) => Err(invalid(
                        s.span(),
                        format!("{field} selector {:?} is not a valid CSS selector: {why}", s.get_ref()),
                    )),
                })
                .collect()
        };
        let masked = selectors("masked", &raw.masking.masked)?;
        let blocked = selectors("blocked", &raw.masking.blocked)?;
        let disabled = selectors("disabled", &raw.write_mode.disabled)?;
        let patterns = |field: &str, list: &[Spanned<String>]| -> Result<Vec<Regex>, ProfileError> {
            list.iter()
                .map(|p| {
                    pattern::compile(p.get_ref()).map_err(|why| {
                        let message =
                            format!("{field} pattern {:?} is not a valid regular expression: {why}", p.get_ref());
                        invalid(p.span(), message)
                    })
                })
                .collect()
        };
        let masked_pages = patterns("masked_pages", &raw.masking.masked_pages)?;
        let forbidden_paths = patterns("forbidden_paths", &raw.write_mode.forbidden_paths)?;
        let origin_lines = raw.site.origins.get_ref().iter().map(|o| line_of(text, o.span().start)).collect();
        Ok(Profile {
            file: file.to_path_buf(),
            origin_lines,
            site: Site { origins: raw.site.origins.into_inner().into_iter().map(Spanned::into_inner).collect() },
            write_mode: WriteMode {
                enabled: raw.write_mode.enabled,
                disable_submit: raw.write_mode.disable_submit,
                disabled,
                forbidden_paths: raw.write_mode.forbidden_paths.into_iter().map(Spanned::into_inner).collect(),
            },
            masking: Masking {
                masked,
                blocked,
                masked_pages: raw.masking.masked_pages.into_iter().map(Spanned::into_inner).collect(),
            },
            masked_pages,
            forbidden_paths,
        })
    }
}
