//! G.711 μ-law and A-law (ITU-T G.711), on 16-bit linear PCM.
//!
//! Decoding uses 256-entry tables built at compile time; encoding is the
//! segment search of the recommendation. 16-bit values are the 14-bit
//! (μ-law) and 13-bit (A-law) values of the G.711 tables scaled by 4 and 8.

/// Which G.711 law a leg speaks; the RTP static payload types are 0 and 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// G.711 μ-law, RTP payload type 0.
    Pcmu,
    /// G.711 A-law, RTP payload type 8.
    Pcma,
}

impl Codec {
    /// The static RTP payload type (RFC 3551).
    pub const fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// The codec of a static payload type, if it is one of the two.
    pub const fn from_payload_type(pt: u8) -> Option<Codec> {
        match pt {
            0 => Some(Codec::Pcmu),
            8 => Some(Codec::Pcma),
            _ => None,
        }
    }

    /// The byte that decodes to (near) zero: what silence sounds like.
    pub const fn silence_byte(self) -> u8 {
        match self {
            Codec::Pcmu => 0xFF,
            Codec::Pcma => 0xD5,
        }
    }

    /// Encodes one sample.
    pub fn encode(self, sample: i16) -> u8 {
        match self {
            Codec::Pcmu => ulaw_encode(sample),
            Codec::Pcma => alaw_encode(sample),
        }
    }

    /// Decodes one byte.
    pub fn decode(self, byte: u8) -> i16 {
        match self {
            Codec::Pcmu => ULAW_TO_LINEAR[byte as usize],
            Codec::Pcma => ALAW_TO_LINEAR[byte as usize],
        }
    }

    /// Decodes a payload, appending to `out`.
    pub fn decode_into(self, payload: &[u8], out: &mut Vec<i16>) {
        let table = match self {
            Codec::Pcmu => &ULAW_TO_LINEAR,
            Codec::Pcma => &ALAW_TO_LINEAR,
        };
        out.extend(payload.iter().map(|b| table[*b as usize]));
    }

    /// Encodes samples, appending to `out`.
    pub fn encode_into(self, samples: &[i16], out: &mut Vec<u8>) {
        out.extend(samples.iter().map(|s| self.encode(*s)));
    }
}

const ULAW_BIAS: i32 = 0x84;
const ULAW_CLIP: i32 = 32635;

/// Encodes one 16-bit sample to μ-law.
pub fn ulaw_encode(sample: i16) -> u8 {
    let mut value = i32::from(sample);
    let sign = if value < 0 {
        value = -value;
        0x80
    } else {
        0
    };
    value = value.min(ULAW_CLIP) + ULAW_BIAS;
    // The segment is the position of the highest set bit above bit 7.
    let exponent = (31 - (value as u32).leading_zeros())
        .saturating_sub(7)
        .min(7);
    let mantissa = (value >> (exponent + 3)) & 0x0F;
    !(sign | ((exponent as i32) << 4) | mantissa) as u8
}

/// Decodes one μ-law byte to a 16-bit sample.
pub const fn ulaw_decode(byte: u8) -> i16 {
    let u = !byte;
    let exponent = ((u >> 4) & 0x07) as i32;
    let mantissa = (u & 0x0F) as i32;
    let magnitude = (((mantissa << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
    if u & 0x80 != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

/// Encodes one 16-bit sample to A-law.
pub fn alaw_encode(sample: i16) -> u8 {
    let value = i32::from(sample);
    // A-law codes the sign bit as 1 for positive values (before the 0x55 inversion).
    let (sign, magnitude) = if value >= 0 {
        (0x80, value)
    } else {
        (0x00, -value - 1)
    };
    let magnitude = magnitude.min(0x7FFF) >> 3; // 13-bit range: 0..=4095
    let code = if magnitude < 32 {
        magnitude >> 1
    } else {
        let exponent = 31 - (magnitude as u32).leading_zeros() - 4; // 1..=7
        let mantissa = (magnitude >> exponent) & 0x0F;
        ((exponent as i32) << 4) | mantissa
    };
    ((sign | code) ^ 0x55) as u8
}

/// Decodes one A-law byte to a 16-bit sample.
pub const fn alaw_decode(byte: u8) -> i16 {
    let a = byte ^ 0x55;
    let exponent = ((a >> 4) & 0x07) as i32;
    let mantissa = (a & 0x0F) as i32;
    let magnitude = if exponent == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (exponent - 1)
    };
    if a & 0x80 != 0 {
        magnitude as i16
    } else {
        -magnitude as i16
    }
}

const fn build_table(alaw: bool) -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = if alaw {
            alaw_decode(i as u8)
        } else {
            ulaw_decode(i as u8)
        };
        i += 1;
    }
    table
}

static ULAW_TO_LINEAR: [i16; 256] = build_table(false);
static ALAW_TO_LINEAR: [i16; 256] = build_table(true);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_matches_g711_table_values() {
        // G.711 Table 2a decoder outputs (14-bit) times 4.
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(ulaw_decode(0x7F), 0);
        assert_eq!(ulaw_decode(0xFE), 8); // 2
        assert_eq!(ulaw_decode(0xF0), 120); // 30
        assert_eq!(ulaw_decode(0xEF), 132); // 33, first value of segment 1
        assert_eq!(ulaw_decode(0xDF), 396); // 99, segment 2
        assert_eq!(ulaw_decode(0x80), 32124); // 8031, the largest
        assert_eq!(ulaw_decode(0x00), -32124);
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(ulaw_encode(132), 0xEF);
        assert_eq!(ulaw_encode(-132), 0x6F);
    }

    #[test]
    fn alaw_matches_g711_table_values() {
        // G.711 Table 1a decoder outputs (13-bit) times 8.
        assert_eq!(alaw_decode(0xD5), 8); // 1
        assert_eq!(alaw_decode(0x55), -8);
        assert_eq!(alaw_decode(0xD4), 24); // 3
        assert_eq!(alaw_decode(0xC5), 264); // 33, first value of segment 2
        assert_eq!(alaw_decode(0xAA), 32256); // 4032, the largest
        assert_eq!(alaw_decode(0x2A), -32256);
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(alaw_encode(-1), 0x55);
        assert_eq!(alaw_encode(i16::MAX), 0xAA);
        assert_eq!(alaw_encode(i16::MIN), 0x2A);
    }

    #[test]
    fn every_code_survives_decode_then_encode() {
        for byte in 0..=255u8 {
            let u = ulaw_encode(ulaw_decode(byte));
            // 0x7F (negative zero) re-encodes as 0xFF (positive zero).
            if byte != 0x7F {
                assert_eq!(u, byte, "ulaw {byte:#04x}");
            }
            assert_eq!(alaw_encode(alaw_decode(byte)), byte, "alaw {byte:#04x}");
        }
    }

    #[test]
    fn quantisation_error_stays_within_the_segment_step() {
        for s in (i16::MIN..=i16::MAX).step_by(7) {
            for codec in [Codec::Pcmu, Codec::Pcma] {
                let back = codec.decode(codec.encode(s));
                let err = (i32::from(back) - i32::from(s)).abs();
                // The largest segment step is 1024 (μ-law) and 1024 (A-law), half of it plus clipping.
                let allowed = (i32::from(s).abs() / 16).max(16) + 700;
                assert!(err <= allowed, "{codec:?} {s} -> {back}");
            }
        }
    }
}
