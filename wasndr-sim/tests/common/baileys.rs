//! A Baileys script from `interop/` run as a child process against a simulator: it reads `SIM_INFO`,
//! `AUTH_DIR` and `NODE_EXTRA_CA_CERTS` (the simulator's media CA, for its HTTPS host) plus the
//! script's own variables, and reports one JSON object per line: `{"step": ...}` or `{"error": ...}`.

use std::path::PathBuf;
use std::process::Stdio;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use wasndr_sim::SimHandle;

/// A running script and the steps it reported so far.
pub struct BaileysScript {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    dir: PathBuf,
    /// Every step name reported so far, in order.
    pub steps: Vec<String>,
}

impl BaileysScript {
    /// Starts `interop/<script>` against `sim` with a fresh auth directory and `env` on top.
    pub fn spawn(script: &str, sim: &SimHandle, env: &[(&str, &str)]) -> BaileysScript {
        let dir = std::env::temp_dir().join(format!(
            "wasndr-sim-{}-{}",
            script.trim_end_matches(".mjs"),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let ca = dir.join("media-ca.pem");
        std::fs::write(&ca, wasndr_sim::MEDIA_CA_PEM).unwrap();
        let mut command = Command::new("node");
        command
            .arg(super::interop_dir().join(script))
            .env("SIM_INFO", serde_json::to_string(&sim.info()).unwrap())
            .env("AUTH_DIR", dir.join("auth"))
            .env("NODE_EXTRA_CA_CERTS", &ca)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        BaileysScript {
            child,
            lines,
            dir,
            steps: Vec::new(),
        }
    }

    /// The next step the script reports (its whole JSON object), or `None` once it closed its output.
    /// An `{"error"}` line fails the test, naming the steps that passed.
    pub async fn next_step(&mut self) -> Option<Value> {
        while let Some(line) = self.lines.next_line().await.unwrap() {
            let event: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            if let Some(error) = event.get("error") {
                panic!("Baileys script failed after {:?}: {error}", self.steps);
            }
            if let Some(step) = event.get("step").and_then(Value::as_str) {
                eprintln!("baileys: {line}");
                self.steps.push(step.to_owned());
                return Some(event);
            }
        }
        None
    }

    /// Reads steps until the script ends, then checks it exited successfully; returns every step.
    pub async fn finish(mut self) -> Vec<String> {
        while self.next_step().await.is_some() {}
        let status = self.child.wait().await.unwrap();
        assert!(
            status.success(),
            "Baileys script exited with {status} after {:?}",
            self.steps
        );
        let _ = std::fs::remove_dir_all(&self.dir);
        self.steps
    }
}
