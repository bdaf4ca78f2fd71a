//! The Run configuration dialog: the program's arguments, environment,
//! preopened directories and stdin/stdout files, as `wdb run` takes them on
//! its command line. Applying sends the session the whole
//! [`ProgramConfig`] (`Command::SetProgram`), which the next Run uses.

use std::path::PathBuf;

use wdb_debugger::api::{Command, ProgramConfig};

/// The dialog's text fields, one setting per line where there can be several.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunConfigForm {
    /// Split as a shell splits them: `"a b" c` is two arguments.
    pub args: String,
    /// `NAME=VALUE`, one a line.
    pub env: String,
    /// As `--dir` takes them (`DIR`, `HOST::GUEST`), one a line.
    pub dirs: String,
    /// Empty: the Console's stdin box.
    pub stdin: String,
    /// Empty: the Console.
    pub stdout: String,
    /// `--inherit-network` (WASI 0.2 sockets reach the host's network),
    /// kept as the command line set it: the dialog has no field for it.
    pub inherit_network: bool,
}

impl RunConfigForm {
    /// The form showing `c`.
    pub fn from_config(c: &ProgramConfig) -> RunConfigForm {
        RunConfigForm {
            args: shell_words::join(&c.args),
            env: c
                .env
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("\n"),
            dirs: c.dirs.join("\n"),
            stdin: c
                .stdin
                .as_ref()
                .map_or(String::new(), |p| p.display().to_string()),
            stdout: c
                .stdout
                .as_ref()
                .map_or(String::new(), |p| p.display().to_string()),
            inherit_network: c.inherit_network,
        }
    }

    /// The configuration the form describes, or what is wrong with it.
    pub fn to_config(&self) -> Result<ProgramConfig, String> {
        let args = shell_words::split(&self.args).map_err(|e| format!("arguments: {e}"))?;
        let mut env = Vec::new();
        for (i, line) in lines(&self.env).enumerate() {
            let (k, v) = line
                .split_once('=')
                .ok_or_else(|| format!("environment line {}: `{line}` is not NAME=VALUE", i + 1))?;
            if k.is_empty() {
                return Err(format!("environment line {}: the name is empty", i + 1));
            }
            env.push((k.to_string(), v.to_string()));
        }
        let file = |t: &str| {
            let t = t.trim();
            (!t.is_empty()).then(|| PathBuf::from(t))
        };
        Ok(ProgramConfig {
            args,
            env,
            dirs: lines(&self.dirs).map(str::to_string).collect(),
            stdin: file(&self.stdin),
            stdout: file(&self.stdout),
            inherit_network: self.inherit_network,
        })
    }
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// What the dialog asks for when a button is pressed.
#[derive(Debug, Clone)]
pub enum RunConfigAction {
    /// Keep the form open.
    None,
    /// Close without changing anything.
    Cancel,
    /// Send these commands and close.
    Send(Vec<Command>),
}

/// The dialog's window. `can_run`: a Run may start now.
pub fn run_config_ui(
    ctx: &egui::Context,
    form: &mut RunConfigForm,
    can_run: bool,
) -> RunConfigAction {
    let mut action = RunConfigAction::None;
    let mut open = true;
    egui::Window::new("Run configuration")
        .open(&mut open)
        .collapsible(false)
        .resizable(true)
        .default_width(460.0)
        .show(ctx, |ui| {
            let parsed = form.to_config();
            egui::Grid::new("run_config_grid")
                .num_columns(2)
                .spacing([8.0, 6.0])
                .show(ui, |ui| {
                    let l = ui.label("Arguments:");
                    ui.add(
                        egui::TextEdit::singleline(&mut form.args)
                            .desired_width(320.0)
                            .hint_text("input.txt \"two words\""),
                    )
                    .labelled_by(l.id)
                    .on_hover_text("Split as a shell splits them");
                    ui.end_row();
                    let l = ui.label("Environment:");
                    ui.add(
                        egui::TextEdit::multiline(&mut form.env)
                            .desired_width(320.0)
                            .desired_rows(3)
                            .hint_text("NAME=VALUE, one a line"),
                    )
                    .labelled_by(l.id);
                    ui.end_row();
                    let l = ui.label("Directories:");
                    ui.add(
                        egui::TextEdit::multiline(&mut form.dirs)
                            .desired_width(320.0)
                            .desired_rows(2)
                            .hint_text("data  or  HOST::GUEST, one a line"),
                    )
                    .labelled_by(l.id)
                    .on_hover_text("Preopened for the guest, as `wdb run --dir` takes them");
                    ui.end_row();
                    let l = ui.label("Stdin file:");
                    ui.add(
                        egui::TextEdit::singleline(&mut form.stdin)
                            .desired_width(320.0)
                            .hint_text("empty: the Console's stdin box"),
                    )
                    .labelled_by(l.id);
                    ui.end_row();
                    let l = ui.label("Stdout file:");
                    ui.add(
                        egui::TextEdit::singleline(&mut form.stdout)
                            .desired_width(320.0)
                            .hint_text("empty: the Console"),
                    )
                    .labelled_by(l.id);
                    ui.end_row();
                    ui.label("Network:");
                    ui.checkbox(
                        &mut form.inherit_network,
                        "Inherit the host's network (--inherit-network)",
                    )
                    .on_hover_text(
                        "WASI 0.2 sockets may connect, listen and look names up; \
                         without it every socket call is access-denied",
                    );
                    ui.end_row();
                });
            if let Err(e) = &parsed {
                ui.add(
                    egui::Label::new(egui::RichText::new(e).color(ui.visuals().error_fg_color))
                        .wrap(),
                );
            }
            ui.separator();
            ui.horizontal(|ui| {
                let ok = parsed.is_ok();
                if ui.add_enabled(ok, egui::Button::new("Apply")).clicked()
                    && let Ok(c) = &parsed
                {
                    action = RunConfigAction::Send(vec![Command::SetProgram(c.clone())]);
                }
                if ui
                    .add_enabled(ok && can_run, egui::Button::new("Apply and run"))
                    .clicked()
                    && let Ok(c) = &parsed
                {
                    action = RunConfigAction::Send(vec![
                        Command::SetProgram(c.clone()),
                        Command::Run { args: None },
                    ]);
                }
                if ui.button("Cancel").clicked() {
                    action = RunConfigAction::Cancel;
                }
            });
        });
    if !open {
        action = RunConfigAction::Cancel;
    }
    action
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_round_trips_and_splits_like_a_shell() {
        let form = RunConfigForm {
            args: "in.txt \"two words\" 'x y'".into(),
            env: "GREETING=hello world\n\n  MODE=fast  ".into(),
            dirs: "data\n/tmp::/scratch".into(),
            stdin: " input.txt ".into(),
            stdout: String::new(),
            inherit_network: true,
        };
        let c = form.to_config().expect("valid");
        assert_eq!(c.args, ["in.txt", "two words", "x y"]);
        assert_eq!(
            c.env,
            [
                ("GREETING".to_string(), "hello world".to_string()),
                ("MODE".to_string(), "fast".to_string())
            ]
        );
        assert_eq!(c.dirs, ["data", "/tmp::/scratch"]);
        assert_eq!(c.stdin, Some(PathBuf::from("input.txt")));
        assert_eq!(c.stdout, None);
        assert!(c.inherit_network);
        assert_eq!(RunConfigForm::from_config(&c).to_config(), Ok(c));
    }

    #[test]
    fn bad_lines_are_named() {
        let form = RunConfigForm {
            env: "A=1\nnovalue".into(),
            ..RunConfigForm::default()
        };
        assert_eq!(
            form.to_config(),
            Err("environment line 2: `novalue` is not NAME=VALUE".into())
        );
        let form = RunConfigForm {
            args: "\"unterminated".into(),
            ..RunConfigForm::default()
        };
        assert!(form.to_config().is_err_and(|e| e.starts_with("arguments:")));
    }
}
