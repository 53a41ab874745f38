//! Starts or stops the WebSphere stand-ins of a sample built earlier (the benchmarks drive a
//! sample from shell scripts): `cargo run -p sample --example sample_servers -- start|stop DIR`;
//! `password DIR` prints the WebSphere administrator's password the sample was built with.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(what), Some(dir)) = (args.get(1), args.get(2)) else {
        return Err("usage: sample_servers start|stop|password SAMPLE_DIR".into());
    };
    let sample = sample::Sample::open(std::path::Path::new(dir))?;
    match what.as_str() {
        "start" => sample.start_all()?,
        "stop" => {
            for killed in sample.stop_all()? {
                eprintln!("killed {killed}");
            }
        }
        "password" => println!("{}", sample.expected.was.admin.password()),
        other => return Err(format!("{other}: expected start, stop or password").into()),
    }
    Ok(())
}
