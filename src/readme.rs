//! The README's tables, for the tests that hold them to the declarations they describe (the
//! probes, the settings).

/// The rows (`| \`…` lines) of the table under `heading`, up to the next heading of its level.
pub(crate) fn table_rows(heading: &str) -> Vec<&'static str> {
    let readme = include_str!("../README.md");
    let level = heading.split(' ').next().unwrap_or("##");
    let section = readme
        .split(&format!("\n{heading}\n"))
        .nth(1)
        .and_then(|rest| rest.split(&format!("\n{level} ")).next())
        .unwrap_or_else(|| panic!("the README has no section {heading}"));
    section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .collect()
}
