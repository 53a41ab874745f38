//! Fuzz target: vault pack footer and trailer decoders.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use vault::format::pack;
    // The first 8 bytes choose the blob-region length the entries are checked against.
    let (region, body) = if data.len() >= 8 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&data[..8]);
        (u64::from_le_bytes(b), &data[8..])
    } else {
        (0, data)
    };
    let _ = pack::decode_trailer(body, region);
    let _ = pack::decode_footer(body);
    if let Ok(key) = vault::crypto::MasterKey::from_bytes(&[[1u8].as_slice(), &[7u8; 72]].concat())
    {
        let _ = pack::decode_pack(&key, data);
    }
});
