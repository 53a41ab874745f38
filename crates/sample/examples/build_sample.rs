//! Builds a sample deployment: `cargo run -p sample --example build_sample -- VARIANT DIR [demo]`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let variant: sample::Variant = args
        .get(1)
        .map(String::as_str)
        .unwrap_or("8.0-db2-ccm")
        .parse()?;
    let dir = std::path::PathBuf::from(
        args.get(2)
            .cloned()
            .unwrap_or_else(|| "/tmp/cnx-sample".into()),
    );
    let size = if args.get(3).map(String::as_str) == Some("demo") {
        sample::Size::Demo
    } else {
        sample::Size::Tiny
    };
    let s = sample::build(variant, &dir, &sample::BuildOptions { size, seed: 1 })?;
    println!("{}", serde_json::to_string_pretty(&s.expected)?);
    Ok(())
}
