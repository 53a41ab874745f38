//! Starts or stops the WebSphere stand-ins of a sample built earlier (the benchmarks drive a
//! sample from shell scripts): `cargo run -p sample --example sample_servers -- start|stop DIR`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(what), Some(dir)) = (args.get(1), args.get(2)) else {
        return Err("usage: sample_servers start|stop SAMPLE_DIR".into());
    };
    let sample = sample::Sample::open(std::path::Path::new(dir))?;
    match what.as_str() {
        "start" => sample.start_all()?,
        "stop" => {
            for killed in sample.stop_all()? {
                eprintln!("killed {killed}");
            }
        }
        other => return Err(format!("{other}: expected start or stop").into()),
    }
    Ok(())
}
