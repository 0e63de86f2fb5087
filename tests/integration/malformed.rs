//! Malformed policies: each file's first line says which error it must
//! produce, where, and with what message (`| help` optional). A `// warn:`
//! header instead names a warning of a policy that must still compile.

#[test]
fn malformed_policies() {
    let dir = crate::root().join("tests/malformed");
    let mut paths: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    let mut failures = Vec::new();
    for path in &paths {
        let text = std::fs::read_to_string(path).unwrap();
        // A byte-order mark before the header is the point of one case.
        let header = text.lines().next().unwrap().trim_start_matches('\u{feff}');
        let (spec, warning) = match (header.strip_prefix("// expect: "), header.strip_prefix("// warn: ")) {
            (Some(spec), _) => (spec, false),
            (None, Some(spec)) => (spec, true),
            _ => panic!("{}: no expect or warn header", path.display()),
        };
        let (code, rest) = spec.split_once(" @ ").unwrap();
        let (pos, message) = rest.split_once(' ').unwrap();
        let (message, help) = match message.split_once(" | ") {
            Some((m, h)) => (m, Some(h)),
            None => (message, None),
        };
        let name = path.display().to_string();
        let result = std::panic::catch_unwind(|| {
            if palisade::unstable::is_json(path) {
                // The header is a JSON5 comment, so the file stays valid input.
                palisade::Policy::from_openclaw_json(&name, &text)
            } else {
                palisade::Policy::from_dsl(&name, &text)
            }
        });
        let Ok(result) = result else {
            failures.push(format!("{name}: panicked"));
            continue;
        };
        let diagnostics = match (result, warning) {
            (Err(error), false) => error.diagnostics,
            (Ok(policy), true) => policy.warnings().to_vec(),
            (Ok(_), false) => {
                failures.push(format!("{name}: compiled, expected {code}"));
                continue;
            }
            (Err(error), true) => {
                failures.push(format!("{name}: expected a warning, got errors: {:?}", error.errors().map(|d| d.short()).collect::<Vec<_>>()));
                continue;
            }
        };
        let wanted_at = format!("{name}:{pos}");
        let found = diagnostics.iter().find(|d| {
            d.is_error() != warning
                && d.code == code
                && d.location.to_string() == wanted_at
                && d.message.contains(message)
                && help.is_none_or(|h| d.help.as_deref().is_some_and(|got| got.contains(h)))
        });
        if found.is_none() {
            let got: Vec<String> = diagnostics.iter().map(|d| format!("  {} (help: {:?})", d.short(), d.help)).collect();
            failures.push(format!("{name}: wanted {code} at {pos} `{message}`, got:\n{}", got.join("\n")));
        }
    }
    assert!(paths.len() >= 30, "only {} malformed policies", paths.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn several_errors_come_out_at_once() {
    let text = "agent a { tools { deny exce } }\nagent b { tools { allow [] } }\ntools { profile nope }\n";
    let error = palisade::Policy::from_dsl("multi.pal", text).unwrap_err();
    let codes: Vec<&str> = error.errors().map(|d| d.code.as_str()).collect();
    assert!(codes.contains(&"palisade::unknown-tool"), "{codes:?}");
    assert!(codes.contains(&"palisade::empty-allow"), "{codes:?}");
    assert!(codes.contains(&"palisade::unknown-profile"), "{codes:?}");
}

#[test]
fn rendered_errors_show_the_line() {
    let error = palisade::Policy::from_dsl("show.pal", "agent main {\n  tools { deny exce }\n}\n").unwrap_err();
    let d = error.errors().next().unwrap();
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor()).render_report(&mut out, d).unwrap();
    assert!(out.contains("show.pal:2:16"), "{out}");
    assert!(out.contains("tools { deny exce }"), "{out}");
    assert!(out.contains("did you mean `exec`?"), "{out}");
}

/// A byte-order mark (as Notepad writes) opens the file: read as whitespace,
/// as JSON5 reads it, with every position the file's own.
#[test]
fn a_byte_order_mark_is_whitespace() {
    let dsl = palisade::Policy::from_dsl("bom.pal", "\u{feff}agent main { tools { allow read } }\n").unwrap();
    assert!(dsl.engine().allows_name(dsl.engine().context(&palisade::ToolRequest::new("main", "")).unwrap(), "read"));
    let error = palisade::Policy::from_dsl("bom.pal", "\u{feff}agent main { tools { alow read } }\n").unwrap_err();
    let d = error.errors().next().unwrap();
    assert_eq!((d.location.line, d.location.col), (1, 22), "{}", d.short());
    assert_eq!(d.help.as_deref(), Some("did you mean `allow`?"));
    palisade::Policy::from_openclaw_json("bom.json", "\u{feff}{\"agents\": {\"list\": [{\"id\": \"main\"}]}}").unwrap();
}

/// Every truncation of the examples (a half-written file, a cut deploy), with
/// a long line spliced in and a byte-order mark in front, gives diagnostics
/// whose every label can be shown: no panic, no label outside the text.
#[test]
fn every_truncation_gives_showable_diagnostics() {
    use miette::Diagnostic as _;
    let mut checked = 0;
    for name in ["multi-agent.pal", "commands.pal"] {
        let full = std::fs::read_to_string(crate::root().join("examples").join(name)).unwrap();
        let long = format!("{}\n{full}", "x".repeat(400));
        for text in [full.clone(), format!("\u{feff}{full}"), long] {
            let cuts: Vec<usize> = (0..=text.len()).step_by(5).filter(|i| text.is_char_boundary(*i)).collect();
            for cut in cuts {
                let Err(error) = palisade::Policy::from_dsl(name, &text[..cut]) else { continue };
                for d in &error.diagnostics {
                    let source = d.source_code().unwrap();
                    for label in d.labels().unwrap() {
                        assert!(label.offset() + label.len() <= cut, "{}: label past the text", d.short());
                        source.read_span(label.inner(), 1, 1).unwrap_or_else(|e| panic!("{}: {e}", d.short()));
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 500, "only {checked} labels");
}
