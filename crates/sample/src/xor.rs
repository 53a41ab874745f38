//! WebSphere's `{xor}` password obfuscation: base64 of the bytes XOR 0x5F.

use base64::Engine;

/// Encodes a password the way WebSphere writes it into `security.xml`.
pub fn xor_encode(plain: &str) -> String {
    let bytes: Vec<u8> = plain.bytes().map(|b| b ^ 0x5F).collect();
    format!(
        "{{xor}}{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_value() {
        // "password" XOR '_' is "/>,,(0-;" whose base64 is "Lz4sLCgwLTs=".
        assert_eq!(xor_encode("password"), "{xor}Lz4sLCgwLTs=");
    }
}
