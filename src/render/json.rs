//! The machine JSON: the whole Report through serde, one line, the field names of `Report`
//! (`category`, `severity`, `notify`, `title` at the top level). Subscribers filter and parse
//! it, so nothing is added that `Report` does not have.

use crate::report::Report;

pub fn render(report: &Report) -> String {
    // Every field is a string, a number, a bool, or a list or struct of those: this cannot fail.
    serde_json::to_string(report).expect("a Report always serializes to JSON")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tests::oom_report;

    #[test]
    fn the_machine_json_round_trips_into_a_report() {
        let report = oom_report();
        let json = render(&report);
        assert!(!json.contains('\n'));
        let back: Report = serde_json::from_str(&json).expect("the JSON parses as a Report");
        assert_eq!(back, report);
    }

    #[test]
    fn the_filterable_fields_are_at_the_top_level() {
        let value: serde_json::Value = serde_json::from_str(&render(&oom_report())).unwrap();
        assert_eq!(value["category"], "oom");
        assert_eq!(value["severity"], "high");
        assert_eq!(value["notify"], true);
        assert_eq!(value["title"], "Out of memory: api in checkout (prod)");
        assert_eq!(value["schema_version"], crate::report::SCHEMA_VERSION);
    }

    #[test]
    fn the_rendered_json_is_the_report_itself() {
        let report = oom_report();
        let rendered = crate::render::render(&report);
        let back: Report = serde_json::from_str(&rendered.json).unwrap();
        assert_eq!(back, report);
    }
}
