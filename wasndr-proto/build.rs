//! Compiles `proto/*.proto` with the pure-Rust `protox` compiler and generates prost types from the
//! resulting descriptor set, so no `protoc` binary is needed anywhere.

use std::error::Error;
use std::fs;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    let dir = PathBuf::from("proto");
    println!("cargo:rerun-if-changed=proto");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "proto"))
        .collect();
    files.sort();
    let descriptors = protox::compile(&files, [&dir])?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}
