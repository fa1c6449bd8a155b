//! One block of recorded samples, encoded and decoded without I/O. Records in time order:
//! the series' number, the time since the record before (ms), and the value, most often as
//! a decimal (`0.43` is 43 at scale 2) given as the change from the series' previous value
//! in the block, so a gauge that moves a little costs a byte or two; other values whole.
//! The block is then LZ4-compressed: what the encoding leaves regular (series numbers
//! counting up, the same time step) it folds.

use chrono::{DateTime, Utc};

/// A value as recorded.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(f64),
    Text(String),
    /// The source failed: no value at that time.
    Missing,
}

/// One recorded point: a series (its number in `samples.series`), when, what.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub series: u32,
    pub at_ms: i64,
    pub value: Value,
}

impl Point {
    pub fn at(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp_millis(self.at_ms)
    }
}

const MISSING: u8 = 0;
/// `1 + scale`: a decimal with 0 to 6 places.
const DECIMAL: u8 = 1;
const MAX_SCALE: u8 = 6;
const RAW: u8 = 8;
const TEXT: u8 = 9;
/// No text longer than this is kept whole (a checksum, a version, a status word).
pub const MAX_TEXT: usize = 256;

/// The smallest scale at which `v` is a whole number that reads back as exactly `v`.
fn decimal(v: f64) -> Option<(u8, i64)> {
    if !v.is_finite() {
        return None;
    }
    let mut pow = 1.0_f64;
    for scale in 0..=MAX_SCALE {
        let m = (v * pow).round();
        // Read back as the decoder reads it (an i64, so -0.0 is not one of these).
        if m.abs() < 9.0e15 && ((m as i64) as f64 / pow).to_bits() == v.to_bits() {
            return Some((scale, m as i64));
        }
        pow *= 10.0;
    }
    None
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Encodes points (in time order) into a block's raw bytes. The previous value of each
/// series starts afresh in every block: a block decodes on its own.
#[derive(Debug, Default)]
pub struct Encoder {
    pub raw: Vec<u8>,
    pub first_ms: Option<i64>,
    pub last_ms: i64,
    pub points: usize,
    /// Per series: the scale and the whole number of its previous decimal.
    prev: std::collections::HashMap<u32, (u8, i64)>,
}

impl Encoder {
    pub fn push(&mut self, p: &Point) {
        let dt = match self.first_ms {
            None => {
                self.first_ms = Some(p.at_ms);
                0
            }
            Some(_) => p.at_ms - self.last_ms,
        };
        self.last_ms = p.at_ms;
        self.points += 1;
        put_varint(&mut self.raw, u64::from(p.series));
        put_varint(&mut self.raw, zigzag(dt));
        match &p.value {
            Value::Missing => self.raw.push(MISSING),
            Value::Text(t) => {
                let t = if t.len() > MAX_TEXT {
                    let mut end = MAX_TEXT;
                    while !t.is_char_boundary(end) {
                        end -= 1;
                    }
                    &t[..end]
                } else {
                    t.as_str()
                };
                self.raw.push(TEXT);
                put_varint(&mut self.raw, t.len() as u64);
                self.raw.extend_from_slice(t.as_bytes());
            }
            Value::Number(v) => match decimal(*v) {
                Some((scale, m)) => {
                    self.raw.push(DECIMAL + scale);
                    let base = match self.prev.get(&p.series) {
                        Some((s, prev)) if *s == scale => *prev,
                        _ => 0,
                    };
                    put_varint(&mut self.raw, zigzag(m.wrapping_sub(base)));
                    self.prev.insert(p.series, (scale, m));
                }
                None => {
                    self.raw.push(RAW);
                    self.raw.extend_from_slice(&v.to_bits().to_le_bytes());
                    self.prev.remove(&p.series);
                }
            },
        }
    }

    pub fn is_empty(&self) -> bool {
        self.points == 0
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn varint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.bytes.get(self.at).ok_or("a record is cut short")?;
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("a number runs too long".into())
    }

    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.at.checked_add(n).ok_or("a length runs too long")?;
        let s = self
            .bytes
            .get(self.at..end)
            .ok_or("a record is cut short")?;
        self.at = end;
        Ok(s)
    }
}

/// Decodes a block's raw bytes, its first record at `first_ms`.
pub fn decode(raw: &[u8], first_ms: i64) -> Result<Vec<Point>, String> {
    let mut r = Reader { bytes: raw, at: 0 };
    let mut prev: std::collections::HashMap<u32, (u8, i64)> = std::collections::HashMap::new();
    let mut at_ms = first_ms;
    let mut out = Vec::new();
    while r.at < raw.len() {
        let series = u32::try_from(r.varint()?).map_err(|_| "a series number out of range")?;
        at_ms = at_ms.wrapping_add(unzigzag(r.varint()?));
        let tag = *r.take(1)?.first().ok_or("a record is cut short")?;
        let value = match tag {
            MISSING => Value::Missing,
            TEXT => {
                let n = usize::try_from(r.varint()?).map_err(|_| "a text length out of range")?;
                if n > MAX_TEXT {
                    return Err("a text longer than any written".into());
                }
                Value::Text(String::from_utf8_lossy(r.take(n)?).into_owned())
            }
            RAW => {
                let b: [u8; 8] = r.take(8)?.try_into().map_err(|_| "a record is cut short")?;
                prev.remove(&series);
                Value::Number(f64::from_bits(u64::from_le_bytes(b)))
            }
            t if (DECIMAL..=DECIMAL + MAX_SCALE).contains(&t) => {
                let scale = t - DECIMAL;
                let base = match prev.get(&series) {
                    Some((s, p)) if *s == scale => *p,
                    _ => 0,
                };
                let m = base.wrapping_add(unzigzag(r.varint()?));
                prev.insert(series, (scale, m));
                Value::Number(m as f64 / 10f64.powi(i32::from(scale)))
            }
            other => return Err(format!("an unknown value kind {other}")),
        };
        out.push(Point {
            series,
            at_ms,
            value,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(points: &[Point]) -> Vec<Point> {
        let mut e = Encoder::default();
        for p in points {
            e.push(p);
        }
        decode(&e.raw, e.first_ms.unwrap_or(0)).expect("decodes")
    }

    #[test]
    fn every_kind_of_value_reads_back_exactly() {
        let values = [
            0.43,
            0.44,
            1_204_331.0,
            -3.5,
            0.1 + 0.2,
            f64::NAN,
            f64::INFINITY,
            1e300,
            5e-324,
            -0.0,
        ];
        let mut points: Vec<Point> = values
            .iter()
            .enumerate()
            .map(|(i, v)| Point {
                series: (i % 3) as u32,
                at_ms: 1_800_000_000_000 + i as i64 * 1000 - 500 * (i as i64 % 2),
                value: Value::Number(*v),
            })
            .collect();
        points.push(Point {
            series: 7,
            at_ms: 1_800_000_020_000,
            value: Value::Text("e91527e7f6ab".into()),
        });
        points.push(Point {
            series: 300,
            at_ms: 1_800_000_020_000,
            value: Value::Missing,
        });
        let back = round_trip(&points);
        assert_eq!(back.len(), points.len());
        for (a, b) in points.iter().zip(&back) {
            assert_eq!((a.series, a.at_ms), (b.series, b.at_ms));
            match (&a.value, &b.value) {
                (Value::Number(x), Value::Number(y)) => {
                    assert_eq!(x.to_bits(), y.to_bits(), "{x} became {y}");
                }
                (x, y) => assert_eq!(x, y),
            }
        }
    }

    #[test]
    fn a_gauge_moving_a_little_costs_a_few_bytes() {
        let mut e = Encoder::default();
        for i in 0..1000 {
            e.push(&Point {
                series: 4,
                at_ms: 1_800_000_000_000 + i * 1000,
                // As a source gives it: `0.43` read from text.
                value: Value::Number(format!("0.4{}", i % 7).parse().expect("a number")),
            });
        }
        // The series, the time step (2), the kind, the change (1).
        assert!(e.raw.len() <= 5 * 1000, "{} bytes", e.raw.len());
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        for bytes in [
            &[0x80u8][..],
            &[1, 2, 200],
            &[1, 2, 9, 255, 255, 255, 255, 1],
            &[0xff; 12],
        ] {
            let _ = decode(bytes, 0);
        }
        assert!(decode(&[1, 2, 42], 0).is_err());
    }
}
