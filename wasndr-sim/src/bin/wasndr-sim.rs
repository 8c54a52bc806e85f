//! `wasndr-sim --listen 127.0.0.1:0`: starts a simulator, prints the `/admin/info` JSON as one line on
//! stdout once it is ready, then serves until killed.

use std::io::Write;
use std::net::SocketAddr;

use wasndr_sim::{SimConfig, Simulator};

fn usage() -> ! {
    let _ = writeln!(
        std::io::stderr(),
        "usage: wasndr-sim [--listen ADDR:PORT] [--root-key HEX32] [--time-scale FACTOR]"
    );
    std::process::exit(2)
}

fn main() {
    let mut config = SimConfig::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--listen" => config.listen = value.parse::<SocketAddr>().unwrap_or_else(|_| usage()),
            "--root-key" => {
                let bytes = hex::decode(&value)
                    .ok()
                    .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok());
                config.root_private_key = Some(bytes.unwrap_or_else(|| usage()));
            }
            "--time-scale" => config.time_scale = value.parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "wasndr-sim: cannot start the runtime: {error}");
            std::process::exit(1);
        }
    };
    runtime.block_on(async move {
        let sim = match Simulator::start(config).await {
            Ok(sim) => sim,
            Err(error) => {
                let _ = writeln!(std::io::stderr(), "wasndr-sim: {error}");
                std::process::exit(1);
            }
        };
        let line = serde_json::to_string(&sim.info()).unwrap_or_default();
        let mut stdout = std::io::stdout();
        let _ = writeln!(stdout, "{line}");
        let _ = stdout.flush();
        std::future::pending::<()>().await;
    });
}
