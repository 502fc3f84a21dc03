//! What packagers ship beside the binary, generated from the clap definition so it cannot
//! drift from the real options: shell completions (`numkeep completions SHELL`) and the
//! numkeep(1) manual page (the hidden `numkeep manpage`, run by `dist/build.sh`).

use std::io::{self, Write};

use clap::Command;
use clap_complete::Shell;
use roff::{Roff, bold, italic, roman};

/// Writes the completion script for `shell`.
pub fn write_completions(shell: Shell, command: Command, out: &mut dyn Write) {
    let mut command = without_hidden_subcommands(command);
    clap_complete::generate(shell, &mut command, "numkeep", out);
}

/// The command as completions should see it: clap_complete's bash script offers hidden
/// subcommands too (`manpage` is for packagers), so rebuild the top level without them.
/// `command` is unbuilt: its arguments are the declared ones, without the automatic
/// `--help` and `--version`, which building the copy adds again.
fn without_hidden_subcommands(command: Command) -> Command {
    let mut visible = Command::new("numkeep")
        .args(command.get_arguments().cloned())
        .subcommands(
            command
                .get_subcommands()
                .filter(|sub| !sub.is_hide_set())
                .cloned(),
        );
    if command.get_version().is_some() {
        visible = visible.version(env!("CARGO_PKG_VERSION"));
    }
    if let Some(about) = command.get_about() {
        visible = visible.about(about.clone());
    }
    visible
}

/// Writes numkeep(1): clap_mangen's title, name and global options, then every command
/// with its own options on this one page (clap_mangen would point to a page per command),
/// then what clap does not know: exit status, environment, files, examples. `date` goes in
/// the title line; packaging passes the release's date so that builds repeat.
pub fn write_manpage(command: Command, date: &str, out: &mut dyn Write) -> io::Result<()> {
    let version = command.get_version().unwrap_or_default().to_owned();
    let mut command = command.disable_help_subcommand(true);
    command.build();
    let man = clap_mangen::Man::new(command.clone())
        .title("NUMKEEP")
        .date(date)
        .source(format!("numkeep {version}"))
        .manual("User Commands");
    // Each clap_mangen piece repeats roff's preamble; keep the first only.
    let preamble = Roff::new().render();
    let mut pieces = Vec::new();
    man.render_title(&mut pieces)?;
    man.render_name_section(&mut pieces)?;
    let mut roff = Roff::new();
    roff.control("SH", ["SYNOPSIS"]).text([
        bold("numkeep"),
        roman(" ["),
        bold("--config"),
        roman(" "),
        italic("PATH"),
        roman("] "),
        italic("COMMAND"),
        roman(" ["),
        italic("ARGS"),
        roman("]"),
    ]);
    roff.control("SH", ["DESCRIPTION"]);
    paragraph(
        &mut roff,
        "numkeep reads a TOML list of phone numbers and their carriers' rules, computes for \
         every number the last day to act and the day it would be lost, and reminds its owner \
         by email and in the log before that day, again in the grace period, and never twice \
         for the same thing. The config is described in numkeep.toml(5).",
    );
    roff.control("PP", []);
    paragraph(
        &mut roff,
        "Installed from the Debian package, numkeep runs as the systemd service numkeep.service \
         on /etc/numkeep/config.toml; with no numbers there it idles.",
    );
    write_without_preamble(&roff.render(), &preamble, &mut pieces);
    let mut options = Vec::new();
    man.render_options_section(&mut options)?;
    write_without_preamble(&String::from_utf8_lossy(&options), &preamble, &mut pieces);
    let mut roff = Roff::new();
    commands_section(&mut roff, &command);
    fixed_sections(&mut roff);
    write_without_preamble(&roff.render(), &preamble, &mut pieces);
    out.write_all(&pieces)
}

fn write_without_preamble(text: &str, preamble: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(text.strip_prefix(preamble).unwrap_or(text).as_bytes());
}

/// Text as source lines of at most 64 characters before escaping: mandoc's lint wants
/// source lines under 80 bytes, and roff escapes lengthen them (`-` becomes `\-`).
fn paragraph(roff: &mut Roff, text: &str) {
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > 64 {
            roff.text([roman(std::mem::take(&mut line))]);
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        roff.text([roman(line)]);
    }
}

fn commands_section(roff: &mut Roff, command: &Command) {
    roff.control("SH", ["COMMANDS"]);
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        let arguments: Vec<_> = sub
            .get_arguments()
            .filter(|arg| !arg.is_hide_set() && !arg.is_global_set())
            .filter(|arg| !matches!(arg.get_id().as_str(), "help" | "version"))
            .collect();
        let mut synopsis = vec![bold(format!("numkeep {}", sub.get_name()))];
        for arg in &arguments {
            synopsis.push(roman(" "));
            synopsis.extend(argument_usage(arg, !arg.is_required_set()));
        }
        roff.control("TP", []).text(synopsis);
        if let Some(about) = sub.get_long_about().or_else(|| sub.get_about()) {
            paragraph(roff, &about.to_string());
        }
        if arguments.is_empty() {
            continue;
        }
        roff.control("RS", []);
        for arg in &arguments {
            roff.control("TP", []).text(argument_usage(arg, false));
            let mut help = arg
                .get_long_help()
                .or_else(|| arg.get_help())
                .map(|help| help.to_string())
                .unwrap_or_default();
            let values: Vec<_> = arg
                .get_possible_values()
                .iter()
                .filter(|value| !value.is_hide_set())
                .map(|value| value.get_name().to_owned())
                .collect();
            if !values.is_empty() {
                help = format!("{help}: {}", values.join(", "));
            }
            paragraph(roff, &help);
        }
        roff.control("RE", []);
    }
}

/// `--topup [AMOUNT]`, `--on DATE`, `NUMBER`; in brackets when `optional`.
fn argument_usage(arg: &clap::Arg, optional: bool) -> Vec<roff::Inline> {
    let value_name = arg
        .get_value_names()
        .and_then(|names| names.first())
        .map(|name| name.to_string())
        .unwrap_or_else(|| arg.get_id().as_str().to_uppercase());
    let mut usage = Vec::new();
    if optional {
        usage.push(roman("["));
    }
    match arg.get_long() {
        None => usage.push(italic(value_name)),
        Some(long) => {
            usage.push(bold(format!("--{long}")));
            let values = arg.get_num_args().unwrap_or_default();
            if values.takes_values() {
                if values.min_values() == 0 {
                    usage.extend([roman(" ["), italic(value_name), roman("]")]);
                } else {
                    usage.extend([roman(" "), italic(value_name)]);
                }
            }
        }
    }
    if optional {
        usage.push(roman("]"));
    }
    usage
}

fn fixed_sections(roff: &mut Roff) {
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in [
        ("0", "Success."),
        (
            "1",
            "A failure at run time: a mail server, a file; for run --once, some reminder stays pending.",
        ),
        ("2", "An invalid config or invalid arguments."),
    ] {
        roff.control("TP", []).text([bold(code)]);
        paragraph(roff, meaning);
    }

    roff.control("SH", ["ENVIRONMENT"]);
    for (name, meaning) in [
        (
            "NUMKEEP_CONFIG",
            "The config file when --config is not given.",
        ),
        (
            "NUMKEEP_SMTP_PASSWORD",
            "The SMTP password, when the config names no password_file.",
        ),
        (
            "STATE_DIRECTORY",
            "The state directory (set by systemd for the service) when the config names none.",
        ),
        (
            "RUST_LOG",
            "The log level and filter, for example debug; the default is info.",
        ),
        (
            "JOURNAL_STREAM",
            "Set by systemd: when it names standard error, log lines carry journald priorities (warning for due reminders, error for grace and lost numbers) and no timestamps.",
        ),
        (
            "SSL_CERT_FILE",
            "A PEM file of certificate authorities to trust instead of the system's.",
        ),
    ] {
        roff.control("TP", []).text([bold(name)]);
        paragraph(roff, meaning);
    }

    roff.control("SH", ["FILES"]);
    for (path, meaning) in [
        (
            "/etc/numkeep/config.toml",
            "The config: settings, carriers and numbers; see numkeep.toml(5).",
        ),
        (
            "/etc/numkeep/smtp-password",
            "The SMTP password, read by systemd and handed to the service as a credential.",
        ),
        (
            "/var/lib/numkeep",
            "The service's state: reminders sent, messages pending, the last check.",
        ),
        (
            "/usr/share/doc/numkeep/examples/config.example.toml",
            "A commented example config.",
        ),
    ] {
        roff.control("TP", []).text([italic(path)]);
        paragraph(roff, meaning);
    }

    roff.control("SH", ["EXAMPLES"]);
    for (example, meaning) in [
        ("numkeep check", "Validate /etc/numkeep/config.toml."),
        ("numkeep status", "Show every number, most urgent first."),
        (
            "numkeep renew '+965 5123 4567' --topup 5.000",
            "Record a top-up of 5.000 made today.",
        ),
        (
            "numkeep renew '+965 5123 4567' --resume --dry-run",
            "Show, as a diff, how ending the pause today would change the config.",
        ),
        (
            "numkeep add '+44 7700 900123' --carrier giffgaff --used",
            "Add a number used today.",
        ),
        (
            "journalctl -p warning -u numkeep",
            "Show the service's alerts and errors only.",
        ),
    ] {
        roff.control("TP", []).text([bold(example)]);
        paragraph(roff, meaning);
    }

    roff.control("SH", ["SEE ALSO"]);
    roff.text([
        bold("numkeep.toml"),
        roman("(5), "),
        bold("systemctl"),
        roman("(1), "),
        bold("journalctl"),
        roman("(1)"),
    ]);
}
