//! Every built-in preset (and alias) is documented: a row in spec/schemes.md's preset table and in
//! its table of what the signature covers, the alias table, and SECURITY.md's "What is signed, per
//! preset" table. A new preset fails here until its rows exist.

use std::path::Path;

use hookverify::scheme::{preset_aliases, preset_names};

fn read(file: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(file)).unwrap()
}

/// The text from the heading line `heading` to the next heading of the same or a higher level.
fn section<'a>(text: &'a str, heading: &str) -> &'a str {
    let start = text.find(&format!("\n{heading}\n")).unwrap_or_else(|| panic!("no heading {heading:?}"));
    let level = heading.split(' ').next().unwrap();
    let rest = &text[start + heading.len() + 2..];
    let end = rest
        .match_indices("\n#")
        .find(|(i, _)| {
            let line = &rest[i + 1..];
            let hashes = line.bytes().take_while(|b| *b == b'#').count();
            hashes <= level.len() && line.as_bytes().get(hashes) == Some(&b' ')
        })
        .map_or(rest.len(), |(i, _)| i);
    &rest[..end]
}

/// The tables of a section, each as its rows' cells (header and separator rows left out).
fn tables(section: &str) -> Vec<Vec<Vec<String>>> {
    let mut out: Vec<Vec<Vec<String>>> = Vec::new();
    let mut in_table = false;
    for line in section.lines() {
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        if !in_table {
            out.push(Vec::new());
            in_table = true;
            continue; // the header row
        }
        if line.starts_with("|---") {
            continue;
        }
        out.last_mut().unwrap().push(line.trim_matches('|').split(" | ").map(|c| c.trim().to_owned()).collect());
    }
    out
}

/// The backquoted names in a cell: "`github`, `github-sha1`" → ["github", "github-sha1"].
fn names(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

fn first_cells_name(table: &[Vec<String>], name: &str) -> bool {
    table.iter().any(|row| names(&row[0]).contains(&name))
}

#[test]
fn spec_schemes_lists_every_preset_and_alias() {
    let text = read("spec/schemes.md");
    let presets = tables(section(&text, "## Presets"));
    assert!(presets.len() >= 3, "the preset, alias and coverage tables");
    for name in preset_names() {
        let with_row = presets.iter().filter(|t| first_cells_name(t, name)).count();
        assert!(with_row >= 2, "spec/schemes.md: preset {name} needs a row in the preset table and in the coverage table");
    }
    for (alias, preset) in preset_aliases() {
        let listed = presets.iter().flatten().any(|row| names(&row[0]).contains(alias) && names(&row[1]).contains(preset));
        assert!(listed, "spec/schemes.md: alias {alias} needs a row naming {preset}");
    }
}

#[test]
fn security_md_says_what_each_preset_signs() {
    let text = read("SECURITY.md");
    let signed = tables(section(&text, "### What is signed, per preset"));
    assert_eq!(signed.len(), 1, "one table");
    for name in preset_names() {
        assert!(first_cells_name(&signed[0], name), "SECURITY.md: preset {name} needs a row in \"What is signed, per preset\"");
    }
}

#[test]
fn the_checks_notice_a_missing_row() {
    let table = tables("| preset | a |\n|---|---|\n| `github`, `github-sha1` | x |\n| `meta` | y |\n");
    assert!(first_cells_name(&table[0], "github-sha1") && first_cells_name(&table[0], "meta"));
    assert!(!first_cells_name(&table[0], "git") && !first_cells_name(&table[0], "pagerduty"));
}
