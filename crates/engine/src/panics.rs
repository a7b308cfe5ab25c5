//! A panic hook for the front ends that says where a panic happened and never what: a
//! panic's message may quote a report's text (a value formatted into an `expect`, an
//! index out of bounds in a string), and it would reach a terminal, a log or a crash
//! report outside the project.

/// Replaces the default hook (which prints the payload) for the whole process.
pub fn install_quiet_hook() {
    std::panic::set_hook(Box::new(|info| {
        let thread = std::thread::current();
        eprintln!("{}", message(info.location(), thread.name()));
    }));
}

fn message(location: Option<&std::panic::Location<'_>>, thread: Option<&str>) -> String {
    let at = location.map_or_else(|| "an unknown place".to_string(), |l| format!("{}:{}", l.file(), l.line()));
    format!(
        "incident-atlas: internal error in thread '{}' at {at}; its details are withheld because they may quote report text",
        thread.unwrap_or("unnamed")
    )
}
