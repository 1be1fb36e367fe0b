//! Parameter images: a model's parameters, and optionally its optimizer's state, as a compact
//! little-endian byte image to keep in flash, write to an EEPROM or send over a serial link.
//!
//! Every model gets an image from its [`Params::walk`]: nothing is written per layer. The
//! image of a model type has a size known at compile time ([`Image::SIZE`]), so a buffer for
//! it can be an array.
//!
//! # Layout
//!
//! | bytes | field |
//! |---|---|
//! | 0..4 | magic, `SKGI` |
//! | 4..6 | format version, `u16` ([`VERSION`]) |
//! | 6 | number type: [`Format::code`] of the model's [`Scalar`] (1 `f32`, 2 `f64`, 3 Q16.16) |
//! | 7 | optimizer state: [`StateKind::code`] (0 none, 1 SGD with momentum, 2 Adam) |
//! | 8..12 | parameter count, `u32` ([`Params::LEN`]) |
//! | 12..16 | shape hash, `u32` ([`Params::shape_hash`]: FNV-1a over every tensor's name and sizes, in order) |
//! | 16..20 | payload bytes, `u32` |
//! | 20.. | payload: every parameter in registration order (as [`Params::store_flat`]), then each state buffer (a value of the model's gradient type, its trainable tensors in order), then the state's counter (`u32`) if it has one |
//! | last 4 | CRC-32 ([`Crc32`]) of every byte before it |
//!
//! Values are their raw bits ([`Scalar::to_bits`]), little-endian, [`Format::bytes`] each.
//! The checksum comes last so that a writer can compute it as the bytes stream out
//! ([`write()`]): IEEE CRC-32, as zlib computes it, because it detects the errors storage and
//! serial links make (every burst up to 32 bits, every one to three flipped bits) where a hash
//! gives no guarantee, and any tool can verify it.
//!
//! # Loading
//!
//! [`load`] checks everything before it writes anything: the magic, the version, the number
//! type, the kind of state, the parameter count, the shape hash, the payload length, the
//! slice's length, the checksum, and then every value (a parameter must be finite; a state
//! value valid for its optimizer, an Adam second moment not negative). On any error the model
//! and the state are exactly as they were, and the [`ImageError`] says what did not match.
//! With an optimizer ([`save_with`], [`load_with`]) one image holds both, and they are loaded
//! together or not at all.
//!
//! A borrowed layer (a `&'static` layer in flash) is saved but not loaded: its values are
//! checked and stepped over, as [`Params::load_flat`] does.
//!
//! # In firmware
//!
//! The image is linked into flash with `include_bytes!` (or read from an EEPROM into a
//! buffer) and loaded at start-up; the model keeps its built-in weights if the image is bad:
//!
//! ```
//! use skipgrad::params::image::{self, Image};
//! use skipgrad::{Gelu, Linear, Params, Residual, TorchInit, Zeroed};
//!
//! type Net = (Residual<(Linear<f32, 3, 3>, Gelu)>, (Linear<f32, 3, 1>, Gelu));
//!
//! // The image's size is a constant: 20 B of header, 4 B of checksum, 4 B per parameter.
//! const SIZE: usize = Image::<Net, f32>::SIZE;
//! assert_eq!(SIZE, 24 + 4 * 16);
//!
//! // On the host (or after training on the device): save into a buffer of exactly that size.
//! let trained: Net = Params::torch_init(&mut TorchInit::new(1));
//! let mut flash = [0u8; SIZE];
//! image::save(&trained, &mut flash)?;
//!
//! // In firmware: `static IMAGE: &[u8] = include_bytes!("net.skgi");`
//! let mut net = Net::ZERO;
//! match image::load(&mut net, &flash) {
//!     Ok(()) => assert_eq!(net, trained),
//!     // Nothing was written: `net` still holds its previous weights.
//!     Err(e) => panic!("bad image: {e}"),
//! }
//!
//! // A damaged byte is refused and changes nothing.
//! flash[30] ^= 0x10;
//! let before = net;
//! assert!(matches!(image::load(&mut net, &flash), Err(image::ImageError::Checksum { .. })));
//! assert_eq!(net, before);
//! # Ok::<(), image::ImageError>(())
//! ```
//!
//! Resuming training after a reset: the model and its optimizer in one image.
//!
//! ```
//! use skipgrad::params::image::{self, Image};
//! use skipgrad::{Adam, Linear, Optimizer, Zeroed};
//!
//! type Net = Linear<f32, 2, 1>;
//! let mut net = Linear::new([[0.5, -0.25]], [0.0]);
//! let mut adam: Adam<f32, Net> = Adam::new();
//! adam.update(&mut net, &mut Linear::new([[1.0, 2.0]], [3.0])).map_err(|_| "refused")?;
//!
//! // Parameters, both moments and the step count.
//! let mut buf = [0u8; Image::<Net, f32, Adam<f32, Net>>::SIZE];
//! image::save_with(&net, &adam, &mut buf)?;
//!
//! let (mut resumed, mut resumed_adam) = (Net::ZERO, Adam::<f32, Net>::new());
//! image::load_with(&mut resumed, &mut resumed_adam, &buf)?;
//! assert_eq!((resumed, resumed_adam.steps()), (net, 1));
//! assert_eq!(resumed_adam.first_moment(), adam.first_moment());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;
use core::marker::PhantomData;

pub use super::checksum::Crc32;
use crate::number::{Format, Scalar};
use crate::params::{self, Mut, Params, Ref, Source};

/// The first four bytes of every image.
pub const MAGIC: [u8; 4] = *b"SKGI";
/// The format version this build writes and reads.
pub const VERSION: u16 = 1;
/// Bytes of the header (magic to payload length).
pub const HEADER_BYTES: usize = 20;
/// Bytes of the checksum at the end.
pub const CHECKSUM_BYTES: usize = 4;
/// Bytes of an optimizer state's counter.
pub const COUNTER_BYTES: usize = 4;

/// The kind of optimizer state an image carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum StateKind {
    /// None: the model alone (also what [`Sgd`](crate::Sgd) saves: it has no state).
    None,
    /// [`SgdMomentum`](crate::SgdMomentum): the momentum buffer and whether it started.
    SgdMomentum,
    /// [`Adam`](crate::Adam): both moments and the step count.
    Adam,
}

impl StateKind {
    /// The kind's code in an image's header.
    pub const fn code(self) -> u8 {
        match self {
            StateKind::None => 0,
            StateKind::SgdMomentum => 1,
            StateKind::Adam => 2,
        }
    }

    /// The kind with this code.
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(StateKind::None),
            1 => Some(StateKind::SgdMomentum),
            2 => Some(StateKind::Adam),
            _ => None,
        }
    }

    /// The kind's name.
    pub const fn name(self) -> &'static str {
        match self {
            StateKind::None => "no optimizer state",
            StateKind::SgdMomentum => "SGD momentum state",
            StateKind::Adam => "Adam state",
        }
    }
}

/// Optimizer state an image can carry: some values of the model's gradient type (its
/// buffers) and an optional `u32` counter. `()` is no state.
pub trait State<T: Scalar, M: Params<T>> {
    /// What the header records.
    const KIND: StateKind;
    /// The number of buffers.
    const BUFFERS: usize = 0;
    /// True if the state has a counter (a step count, a started flag).
    const HAS_COUNTER: bool = false;

    /// Buffer `index` (below [`State::BUFFERS`]).
    fn buffer(&self, index: usize) -> Option<&M::Grads> {
        let _ = index;
        None
    }

    /// Buffer `index`, to load into.
    fn buffer_mut(&mut self, index: usize) -> Option<&mut M::Grads> {
        let _ = index;
        None
    }

    /// The counter.
    fn counter(&self) -> u32 {
        0
    }

    /// Sets the counter (only with a value [`State::counter_valid`] accepts).
    fn set_counter(&mut self, counter: u32) {
        let _ = counter;
    }

    /// True if the state can hold this counter.
    fn counter_valid(counter: u32) -> bool {
        let _ = counter;
        true
    }

    /// True if buffer `buffer` can hold `value` (by default: if it is finite).
    fn value_valid(buffer: usize, value: T) -> bool {
        let _ = buffer;
        value.is_finite()
    }
}

impl<T: Scalar, M: Params<T>> State<T, M> for () {
    const KIND: StateKind = StateKind::None;
}

/// Why an image was not loaded (nothing was changed), or not saved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ImageError {
    /// The bytes do not start with [`MAGIC`]: not an image.
    NotAnImage,
    /// An image of another format version.
    Version {
        /// The version in the image.
        found: u16,
    },
    /// An image of another number type.
    Format {
        /// The model's number type.
        expected: Format,
        /// The code in the image.
        found: u8,
    },
    /// An image with another kind of optimizer state (or with one where none was expected,
    /// or without one).
    State {
        /// The state being loaded.
        expected: StateKind,
        /// The code in the image.
        found: u8,
    },
    /// An image of a model with another number of parameters.
    ParameterCount {
        /// The model's [`Params::LEN`].
        expected: usize,
        /// The count in the image.
        found: u32,
    },
    /// An image of a model whose tensors are named or shaped otherwise.
    ShapeHash {
        /// The model's [`Params::shape_hash`].
        expected: u32,
        /// The hash in the image.
        found: u32,
    },
    /// The header's payload length is not the model's.
    PayloadLength {
        /// The model's (and state's) payload bytes.
        expected: usize,
        /// The length in the header.
        found: u32,
    },
    /// The bytes are not exactly one image long (truncated, or followed by more bytes).
    Length {
        /// The image's size, [`Image::SIZE`].
        expected: usize,
        /// The length of the bytes.
        found: usize,
    },
    /// The checksum does not match: the bytes were damaged.
    Checksum {
        /// The checksum stored in the image.
        stored: u32,
        /// The checksum of the bytes.
        computed: u32,
    },
    /// A parameter is NaN or infinite (or saturated).
    NonFinite {
        /// Its tensor, counting every tensor from 0 in registration order
        /// ([`params::tensor_name`] names it).
        tensor: usize,
        /// Its position in the tensor.
        element: usize,
    },
    /// A value of the optimizer's state is not one it can hold (not finite, or a negative
    /// second moment).
    InvalidState {
        /// The buffer.
        buffer: usize,
        /// The tensor, counting the model's trainable tensors from 0 in registration order.
        tensor: usize,
        /// Its position in the tensor.
        element: usize,
    },
    /// The optimizer state's counter is not one it can hold.
    InvalidCounter {
        /// The counter in the image.
        found: u32,
    },
    /// The buffer to save into is shorter than the image.
    BufferTooSmall {
        /// [`Image::SIZE`].
        needed: usize,
        /// The buffer's length.
        found: usize,
    },
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ImageError::NotAnImage => f.write_str("not a parameter image (no SKGI magic)"),
            ImageError::Version { found } => write!(
                f,
                "image format version {found}, this build reads version {VERSION}"
            ),
            ImageError::Format { expected, found } => match Format::from_code(found) {
                Some(format) => write!(f, "image of {format} values, the model is {expected}"),
                None => write!(
                    f,
                    "unknown number type code {found} (the model is {expected})"
                ),
            },
            ImageError::State { expected, found } => match StateKind::from_code(found) {
                Some(kind) => write!(
                    f,
                    "image with {}, expected {}",
                    kind.name(),
                    expected.name()
                ),
                None => write!(f, "unknown optimizer state code {found}"),
            },
            ImageError::ParameterCount { expected, found } => {
                write!(f, "image of {found} parameters, the model has {expected}")
            }
            ImageError::ShapeHash { expected, found } => write!(
                f,
                "image of another model: shape hash {found:#010x}, the model's is {expected:#010x}"
            ),
            ImageError::PayloadLength { expected, found } => write!(
                f,
                "header gives {found} payload bytes, the model needs {expected}"
            ),
            ImageError::Length { expected, found } => {
                write!(f, "{found} bytes, the image is {expected} bytes long")
            }
            ImageError::Checksum { stored, computed } => write!(
                f,
                "checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"
            ),
            ImageError::NonFinite { tensor, element } => {
                write!(f, "parameter {element} of tensor {tensor} is not finite")
            }
            ImageError::InvalidState {
                buffer,
                tensor,
                element,
            } => write!(
                f,
                "optimizer buffer {buffer}: value {element} of trainable tensor {tensor} is invalid"
            ),
            ImageError::InvalidCounter { found } => {
                write!(f, "optimizer counter {found} is invalid")
            }
            ImageError::BufferTooSmall { needed, found } => {
                write!(f, "the image needs {needed} bytes, the buffer has {found}")
            }
        }
    }
}

impl core::error::Error for ImageError {}

/// Why [`write()`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum WriteError<E> {
    /// The writer's error.
    Io(E),
    /// The writer accepted no bytes.
    WriteZero,
}

impl<E: fmt::Debug> fmt::Display for WriteError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::Io(e) => write!(f, "writing the image: {e:?}"),
            WriteError::WriteZero => f.write_str("writing the image: the writer took no bytes"),
        }
    }
}

impl<E: fmt::Debug> core::error::Error for WriteError<E> {}

/// The image of a model `M` in number type `T` with optimizer state `S` (none by default):
/// its sizes, and saving and loading.
#[derive(Debug)]
pub struct Image<M, T, S = ()>(PhantomData<fn(M, T, S)>);

impl<M: Params<T>, T: Scalar, S: State<T, M>> Image<M, T, S> {
    /// Bytes per value.
    pub const VALUE_BYTES: usize = T::FORMAT.bytes();
    /// Bytes of the parameters.
    pub const PARAMETER_BYTES: usize = M::LEN * Self::VALUE_BYTES;
    /// Bytes of the optimizer state.
    pub const STATE_BYTES: usize = S::BUFFERS * M::TRAINABLE * Self::VALUE_BYTES
        + if S::HAS_COUNTER { COUNTER_BYTES } else { 0 };
    /// Bytes of the payload: parameters and state.
    pub const PAYLOAD_BYTES: usize = Self::PARAMETER_BYTES + Self::STATE_BYTES;
    /// Bytes of the whole image.
    pub const SIZE: usize = HEADER_BYTES + Self::PAYLOAD_BYTES + CHECKSUM_BYTES;
    /// Fails to compile for a model whose counts do not fit the header's `u32` fields.
    const FITS: () = assert!(
        M::LEN <= u32::MAX as usize && Self::PAYLOAD_BYTES <= u32::MAX as usize,
        "the model is too large for an image"
    );

    /// The header the model's image starts with.
    pub fn header() -> [u8; HEADER_BYTES] {
        let () = Self::FITS;
        let [m0, m1, m2, m3] = MAGIC;
        let [v0, v1] = VERSION.to_le_bytes();
        let [c0, c1, c2, c3] = (M::LEN as u32).to_le_bytes();
        let [h0, h1, h2, h3] = M::shape_hash().to_le_bytes();
        let [p0, p1, p2, p3] = (Self::PAYLOAD_BYTES as u32).to_le_bytes();
        [
            m0,
            m1,
            m2,
            m3,
            v0,
            v1,
            T::FORMAT.code(),
            S::KIND.code(),
            c0,
            c1,
            c2,
            c3,
            h0,
            h1,
            h2,
            h3,
            p0,
            p1,
            p2,
            p3,
        ]
    }

    /// Saves `model` and `state` into the first [`Image::SIZE`] bytes of `out`, and returns
    /// that size.
    pub fn save(model: &M, state: &S, out: &mut [u8]) -> Result<usize, ImageError> {
        if out.len() < Self::SIZE {
            return Err(ImageError::BufferTooSmall {
                needed: Self::SIZE,
                found: out.len(),
            });
        }
        let mut sink = SliceSink { out, at: 0 };
        // The buffer holds the image, so the sink cannot fail.
        let _ = Self::encode(model, state, &mut sink);
        Ok(sink.at)
    }

    /// Writes the image of `model` and `state` to `w`, computing the checksum on the way.
    #[cfg(feature = "embedded-io")]
    pub fn write<W: embedded_io::Write>(
        model: &M,
        state: &S,
        w: &mut W,
    ) -> Result<(), WriteError<W::Error>> {
        Self::encode(model, state, &mut IoSink(w))
    }

    /// Loads `model` and `state` from `bytes`, which must be exactly one image, after checking
    /// all of it. On an error neither is changed.
    pub fn load(model: &mut M, state: &mut S, bytes: &[u8]) -> Result<(), ImageError> {
        let payload = Self::check_frame(bytes)?;
        let (parameters, state_bytes) = payload
            .split_at_checked(Self::PARAMETER_BYTES)
            .unwrap_or((payload, &[]));
        Self::check_parameters(model, parameters)?;
        let counter = Self::check_state(state, state_bytes)?;
        // Everything is valid: write.
        params::load_from(model, &mut Values::<T>::new(parameters));
        let mut values = Values::<T>::new(state_bytes);
        for i in 0..S::BUFFERS {
            if let Some(buffer) = state.buffer_mut(i) {
                params::zip_grads::<M, Mut, T, _>(buffer, |_, t| values.fill(t));
            }
        }
        if S::HAS_COUNTER {
            state.set_counter(counter);
        }
        Ok(())
    }

    /// Checks the header, the length and the checksum; returns the payload.
    fn check_frame(bytes: &[u8]) -> Result<&[u8], ImageError> {
        let Some(header) = bytes.first_chunk::<HEADER_BYTES>() else {
            return Err(match bytes.first_chunk::<4>() {
                Some(magic) if *magic != MAGIC => ImageError::NotAnImage,
                _ => ImageError::Length {
                    expected: Self::SIZE,
                    found: bytes.len(),
                },
            });
        };
        let [m0, m1, m2, m3, v0, v1, format, kind, c0, c1, c2, c3, h0, h1, h2, h3, p0, p1, p2, p3] =
            *header;
        if [m0, m1, m2, m3] != MAGIC {
            return Err(ImageError::NotAnImage);
        }
        let version = u16::from_le_bytes([v0, v1]);
        if version != VERSION {
            return Err(ImageError::Version { found: version });
        }
        if format != T::FORMAT.code() {
            return Err(ImageError::Format {
                expected: T::FORMAT,
                found: format,
            });
        }
        if kind != S::KIND.code() {
            return Err(ImageError::State {
                expected: S::KIND,
                found: kind,
            });
        }
        let count = u32::from_le_bytes([c0, c1, c2, c3]);
        if count as usize != M::LEN {
            return Err(ImageError::ParameterCount {
                expected: M::LEN,
                found: count,
            });
        }
        let hash = u32::from_le_bytes([h0, h1, h2, h3]);
        let expected = M::shape_hash();
        if hash != expected {
            return Err(ImageError::ShapeHash {
                expected,
                found: hash,
            });
        }
        let payload = u32::from_le_bytes([p0, p1, p2, p3]);
        if payload as usize != Self::PAYLOAD_BYTES {
            return Err(ImageError::PayloadLength {
                expected: Self::PAYLOAD_BYTES,
                found: payload,
            });
        }
        if bytes.len() != Self::SIZE {
            return Err(ImageError::Length {
                expected: Self::SIZE,
                found: bytes.len(),
            });
        }
        let Some((body, stored)) = bytes.split_last_chunk::<CHECKSUM_BYTES>() else {
            return Err(ImageError::Length {
                expected: Self::SIZE,
                found: bytes.len(),
            });
        };
        let stored = u32::from_le_bytes(*stored);
        let computed = Crc32::of(body);
        if stored != computed {
            return Err(ImageError::Checksum { stored, computed });
        }
        Ok(body.get(HEADER_BYTES..).unwrap_or(&[]))
    }

    /// Every parameter must be finite. The model's values are not read: its walk gives the
    /// tensors' lengths (without building their names).
    fn check_parameters(model: &M, bytes: &[u8]) -> Result<(), ImageError> {
        let mut rest = bytes;
        let mut result = Ok(());
        let mut tensor = 0;
        params::zip::<Ref, M, T, _>(model, |_, t| {
            let (head, tail) = rest
                .split_at_checked(t.len() * Self::VALUE_BYTES)
                .unwrap_or((rest, &[]));
            if result.is_ok() {
                if let Some(element) = first_invalid::<T>(head, |v| v.is_finite()) {
                    result = Err(ImageError::NonFinite { tensor, element });
                }
            }
            rest = tail;
            tensor += 1;
        });
        result
    }

    /// Every state value must be valid for its buffer, and the counter too; returns the
    /// counter.
    fn check_state(state: &S, bytes: &[u8]) -> Result<u32, ImageError> {
        let mut rest = bytes;
        let mut result = Ok(());
        for buffer in 0..S::BUFFERS {
            let Some(b) = state.buffer(buffer) else {
                continue;
            };
            let mut tensor = 0;
            params::zip_grads::<M, Ref, T, _>(b, |_, t| {
                let (head, tail) = rest
                    .split_at_checked(t.len() * Self::VALUE_BYTES)
                    .unwrap_or((rest, &[]));
                if result.is_ok() {
                    if let Some(element) = first_invalid::<T>(head, |v| S::value_valid(buffer, v)) {
                        result = Err(ImageError::InvalidState {
                            buffer,
                            tensor,
                            element,
                        });
                    }
                }
                rest = tail;
                tensor += 1;
            });
        }
        result?;
        if !S::HAS_COUNTER {
            return Ok(0);
        }
        let counter = rest
            .first_chunk::<COUNTER_BYTES>()
            .copied()
            .unwrap_or([0; 4]);
        let counter = u32::from_le_bytes(counter);
        if S::counter_valid(counter) {
            Ok(counter)
        } else {
            Err(ImageError::InvalidCounter { found: counter })
        }
    }

    /// Writes the whole image to `sink`.
    fn encode<K: Sink>(model: &M, state: &S, sink: &mut K) -> Result<(), K::Error> {
        let mut out = Encoder {
            sink,
            crc: Crc32::new(),
            result: Ok(()),
        };
        out.bytes(&Self::header());
        params::zip::<Ref, M, T, _>(model, |_, t| out.values(t));
        for i in 0..S::BUFFERS {
            if let Some(buffer) = state.buffer(i) {
                params::zip_grads::<M, Ref, T, _>(buffer, |_, t| out.values(t));
            }
        }
        if S::HAS_COUNTER {
            out.bytes(&state.counter().to_le_bytes());
        }
        let crc = out.crc.finish().to_le_bytes();
        out.bytes(&crc);
        out.result
    }
}

/// The position of the first value of `bytes` that `ok` refuses.
fn first_invalid<T: Scalar>(bytes: &[u8], ok: impl Fn(T) -> bool) -> Option<usize> {
    bytes
        .chunks_exact(T::FORMAT.bytes())
        .position(|c| !ok(decode::<T>(c)))
}

/// The value whose little-endian bits are `chunk`.
#[inline]
fn decode<T: Scalar>(chunk: &[u8]) -> T {
    let mut bits = [0u8; 8];
    bits.iter_mut().zip(chunk).for_each(|(d, s)| *d = *s);
    T::from_bits(u64::from_le_bytes(bits))
}

/// The values of an image's bytes, as a load's source.
struct Values<'b, T> {
    bytes: &'b [u8],
    _scalar: PhantomData<T>,
}

impl<'b, T> Values<'b, T> {
    fn new(bytes: &'b [u8]) -> Self {
        Self {
            bytes,
            _scalar: PhantomData,
        }
    }
}

impl<T: Scalar> Source<T> for Values<'_, T> {
    fn fill(&mut self, out: &mut [T]) {
        let n = T::FORMAT.bytes();
        let (head, tail) = self
            .bytes
            .split_at_checked(out.len() * n)
            .unwrap_or((self.bytes, &[]));
        out.iter_mut()
            .zip(head.chunks_exact(n))
            .for_each(|(d, c)| *d = decode(c));
        self.bytes = tail;
    }

    fn skip(&mut self, count: usize) {
        self.bytes = self.bytes.get(count * T::FORMAT.bytes()..).unwrap_or(&[]);
    }
}

/// Where an image's bytes go.
trait Sink {
    type Error;
    fn put(&mut self, bytes: &[u8]) -> Result<(), Self::Error>;
}

/// A caller's buffer, long enough for the image.
struct SliceSink<'o> {
    out: &'o mut [u8],
    at: usize,
}

impl Sink for SliceSink<'_> {
    type Error = ImageError;

    fn put(&mut self, bytes: &[u8]) -> Result<(), ImageError> {
        let end = self.at + bytes.len();
        match self.out.get_mut(self.at..end) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.at = end;
                Ok(())
            }
            None => Err(ImageError::BufferTooSmall {
                needed: end,
                found: self.out.len(),
            }),
        }
    }
}

/// An `embedded-io` writer.
#[cfg(feature = "embedded-io")]
struct IoSink<'w, W>(&'w mut W);

#[cfg(feature = "embedded-io")]
impl<W: embedded_io::Write> Sink for IoSink<'_, W> {
    type Error = WriteError<W::Error>;

    fn put(&mut self, mut bytes: &[u8]) -> Result<(), Self::Error> {
        while !bytes.is_empty() {
            match self.0.write(bytes) {
                Ok(0) => return Err(WriteError::WriteZero),
                Ok(n) => bytes = bytes.get(n..).unwrap_or(&[]),
                Err(e) => return Err(WriteError::Io(e)),
            }
        }
        Ok(())
    }
}

/// Writes bytes to a sink through the running checksum, keeping the first error.
struct Encoder<'k, K: Sink> {
    sink: &'k mut K,
    crc: Crc32,
    result: Result<(), K::Error>,
}

impl<K: Sink> Encoder<'_, K> {
    fn bytes(&mut self, bytes: &[u8]) {
        if self.result.is_ok() {
            self.crc.write(bytes);
            self.result = self.sink.put(bytes);
        }
    }

    fn values<T: Scalar>(&mut self, values: &[T]) {
        let n = T::FORMAT.bytes();
        for v in values {
            let bits = v.to_bits().to_le_bytes();
            self.bytes(bits.get(..n).unwrap_or(&bits));
        }
    }
}

/// Saves `model` (without optimizer state) into the first [`Image::SIZE`] bytes of `out`;
/// returns that size.
pub fn save<M: Params<T>, T: Scalar>(model: &M, out: &mut [u8]) -> Result<usize, ImageError> {
    Image::<M, T>::save(model, &(), out)
}

/// Loads `model` from `bytes`, exactly one image without optimizer state, after checking all
/// of it; on an error the model is unchanged.
pub fn load<M: Params<T>, T: Scalar>(model: &mut M, bytes: &[u8]) -> Result<(), ImageError> {
    Image::<M, T>::load(model, &mut (), bytes)
}

/// Saves `model` and its optimizer's state into the first [`Image::SIZE`] bytes of `out`.
pub fn save_with<M: Params<T>, T: Scalar, S: State<T, M>>(
    model: &M,
    state: &S,
    out: &mut [u8],
) -> Result<usize, ImageError> {
    Image::<M, T, S>::save(model, state, out)
}

/// Loads `model` and its optimizer's state from one image: both or neither.
pub fn load_with<M: Params<T>, T: Scalar, S: State<T, M>>(
    model: &mut M,
    state: &mut S,
    bytes: &[u8],
) -> Result<(), ImageError> {
    Image::<M, T, S>::load(model, state, bytes)
}

/// Writes the image of `model` (without optimizer state) to an `embedded-io` writer (a UART,
/// an EEPROM driver, a `&mut [u8]`).
#[cfg(feature = "embedded-io")]
pub fn write<M: Params<T>, T: Scalar, W: embedded_io::Write>(
    model: &M,
    w: &mut W,
) -> Result<(), WriteError<W::Error>> {
    Image::<M, T>::write(model, &(), w)
}

/// Writes the image of `model` and its optimizer's state to an `embedded-io` writer.
#[cfg(feature = "embedded-io")]
pub fn write_with<M: Params<T>, T: Scalar, S: State<T, M>, W: embedded_io::Write>(
    model: &M,
    state: &S,
    w: &mut W,
) -> Result<(), WriteError<W::Error>> {
    Image::<M, T, S>::write(model, state, w)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{Adam, Frozen, Gelu, LayerNorm, Linear, Residual, Sgd, SgdMomentum, TorchInit};
    use crate::{Optimizer, Zeroed};

    type Net = (
        Residual<(Linear<f32, 3, 3>, Gelu)>,
        (LayerNorm<f32, 3>, Linear<f32, 3, 1>),
    );

    fn net(seed: u64) -> Net {
        Params::torch_init(&mut TorchInit::new(seed))
    }

    fn image(n: &Net) -> [u8; Image::<Net, f32>::SIZE] {
        let mut buf = [0u8; Image::<Net, f32>::SIZE];
        assert_eq!(save(n, &mut buf), Ok(buf.len()));
        buf
    }

    #[test]
    fn sizes_and_header() {
        assert_eq!(<Net as Params<f32>>::LEN, 12 + 6 + 4);
        assert_eq!(Image::<Net, f32>::SIZE, 20 + 4 * 22 + 4);
        assert_eq!(Image::<Linear<f64, 2, 1>, f64>::SIZE, 20 + 8 * 3 + 4);
        type A = Adam<f32, Net>;
        assert_eq!(Image::<Net, f32, A>::SIZE, 20 + 3 * 4 * 22 + 4 + 4);
        assert_eq!(Image::<Net, f32, Sgd<f32>>::SIZE, Image::<Net, f32>::SIZE);
        let buf = image(&net(1));
        assert_eq!(&buf[..4], b"SKGI");
        assert_eq!(buf[4..6], [1, 0]);
        assert_eq!((buf[6], buf[7]), (1, 0));
        assert_eq!(buf[8..12], 22u32.to_le_bytes());
        assert_eq!(
            buf[12..16],
            <Net as Params<f32>>::shape_hash().to_le_bytes()
        );
        assert_eq!(buf[16..20], 88u32.to_le_bytes());
        // The payload is store_flat's values, little-endian.
        let mut flat = [0.0f32; 22];
        net(1).store_flat(&mut flat).unwrap();
        for (i, v) in flat.iter().enumerate() {
            assert_eq!(buf[20 + 4 * i..24 + 4 * i], v.to_le_bytes());
        }
        let crc = Crc32::of(&buf[..buf.len() - 4]);
        assert_eq!(buf[buf.len() - 4..], crc.to_le_bytes());
    }

    #[test]
    fn round_trips_bit_for_bit_and_writes_the_same_bytes() {
        let a = net(3);
        let buf = image(&a);
        let mut b = net(4);
        assert_eq!(load(&mut b, &buf), Ok(()));
        assert_eq!(a.weights_hash(), b.weights_hash());
        #[cfg(feature = "embedded-io")]
        {
            let mut streamed = [0u8; Image::<Net, f32>::SIZE];
            let mut w: &mut [u8] = &mut streamed;
            assert_eq!(write(&a, &mut w), Ok(()));
            assert_eq!(streamed, buf);
            let mut short = [0u8; 50];
            let mut w: &mut [u8] = &mut short;
            assert!(matches!(write(&a, &mut w), Err(WriteError::Io(_))));
        }
        let mut short = [0u8; 50];
        assert_eq!(
            save(&a, &mut short),
            Err(ImageError::BufferTooSmall {
                needed: Image::<Net, f32>::SIZE,
                found: 50
            })
        );
    }

    /// Each broken field gives its own error, and the model is unchanged.
    #[test]
    fn every_field_is_checked() {
        let good = image(&net(5));
        let size = good.len();
        let restamp = |b: &mut [u8]| {
            let n = b.len();
            let crc = Crc32::of(&b[..n - 4]);
            b[n - 4..].copy_from_slice(&crc.to_le_bytes());
        };
        type Case = (fn(&mut [u8]), ImageError);
        let cases: [Case; 8] = [
            (|b| b[0] = b'X', ImageError::NotAnImage),
            (|b| b[4] = 2, ImageError::Version { found: 2 }),
            (
                |b| b[6] = 2,
                ImageError::Format {
                    expected: Format::F32,
                    found: 2,
                },
            ),
            (
                |b| b[7] = 2,
                ImageError::State {
                    expected: StateKind::None,
                    found: 2,
                },
            ),
            (
                |b| b[8] = 23,
                ImageError::ParameterCount {
                    expected: 22,
                    found: 23,
                },
            ),
            (
                |b| b[16] = 89,
                ImageError::PayloadLength {
                    expected: 88,
                    found: 89,
                },
            ),
            (
                |b| b[21] ^= 1,
                ImageError::Checksum {
                    stored: 0,
                    computed: 0,
                },
            ),
            // A NaN in tensor 2 (the LayerNorm's weight), element 1, with a valid checksum.
            (
                |b| {
                    let at = 20 + 4 * (12 + 1);
                    b[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
                    let n = b.len();
                    let crc = Crc32::of(&b[..n - 4]);
                    b[n - 4..].copy_from_slice(&crc.to_le_bytes());
                },
                ImageError::NonFinite {
                    tensor: 2,
                    element: 1,
                },
            ),
        ];
        for (mutate, want) in cases {
            let mut b = good;
            mutate(&mut b);
            let mut m = net(9);
            let before = m;
            let got = load(&mut m, &b);
            match (got, want) {
                (Err(ImageError::Checksum { .. }), ImageError::Checksum { .. }) => {}
                _ => assert_eq!(got, Err(want)),
            }
            assert_eq!(m, before);
        }
        let mut m = net(9);
        for n in [0, 3, 4, 19, 20, size - 1] {
            assert_eq!(
                load(&mut m, &good[..n]),
                Err(ImageError::Length {
                    expected: size,
                    found: n
                }),
                "{n}"
            );
        }
        let mut long = [0u8; 200];
        long[..size].copy_from_slice(&good);
        assert_eq!(
            load(&mut m, &long[..size + 1]),
            Err(ImageError::Length {
                expected: size,
                found: size + 1
            })
        );
        // Another model with as many parameters: the shape hash differs.
        type Other = (Linear<f32, 3, 4>, Linear<f32, 1, 3>);
        assert_eq!(<Other as Params<f32>>::LEN, 22);
        let mut other = Other::ZERO;
        assert!(matches!(
            load(&mut other, &good),
            Err(ImageError::ShapeHash { .. })
        ));
        assert_eq!(other, Other::ZERO);
        let mut b = good;
        b[12] ^= 1;
        restamp(&mut b);
        assert!(matches!(
            load(&mut m, &b),
            Err(ImageError::ShapeHash { .. })
        ));
        // f64 model from an f32 image.
        type Wide = (
            Residual<(Linear<f64, 3, 3>, Gelu)>,
            (LayerNorm<f64, 3>, Linear<f64, 3, 1>),
        );
        let mut wide = Wide::ZERO;
        assert!(matches!(
            load(&mut wide, &good),
            Err(ImageError::Format { .. })
        ));
    }

    #[test]
    fn frozen_parts_are_saved_and_loaded() {
        type F = (Frozen<Linear<f32, 2, 2>>, Linear<f32, 2, 1>);
        let a: F = Params::torch_init(&mut TorchInit::new(1));
        let mut buf = [0u8; Image::<F, f32>::SIZE];
        save(&a, &mut buf).unwrap();
        let mut b = F::ZERO;
        load(&mut b, &buf).unwrap();
        assert_eq!(a, b);
    }

    /// A borrowed layer's values are stepped over, not read into the next layer: the head
    /// after it gets the image's head, bit for bit.
    #[test]
    fn borrowed_parts_are_stepped_over_on_load() {
        type F = (Linear<f32, 2, 2>, Linear<f32, 2, 1>);
        let a: F = Params::torch_init(&mut TorchInit::new(1));
        let mut buf = [0u8; Image::<F, f32>::SIZE];
        save(&a, &mut buf).unwrap();
        let front = Linear::<f32, 2, 2>::ZERO;
        let mut b = (crate::NoGrad(&front), Linear::<f32, 2, 1>::ZERO);
        load(&mut b, &buf).unwrap();
        assert_eq!((b.0 .0, b.1), (&front, a.1));
    }

    /// Model and optimizer: one image, loaded together; a bad state value leaves both alone.
    #[test]
    fn optimizer_state_round_trips_atomically() {
        let mut m = net(2);
        let mut opt = SgdMomentum::<f32, Net>::new(0.1, 0.9).unwrap();
        let mut g = net(7);
        opt.update(&mut m, &mut g).unwrap();
        type I = Image<Net, f32, SgdMomentum<f32, Net>>;
        let mut buf = [0u8; I::SIZE];
        assert_eq!(save_with(&m, &opt, &mut buf), Ok(I::SIZE));
        assert_eq!(buf[7], 1);
        let (mut m2, mut opt2) = (Net::ZERO, SgdMomentum::<f32, Net>::new(0.1, 0.9).unwrap());
        load_with(&mut m2, &mut opt2, &buf).unwrap();
        assert_eq!((m2, &opt2), (m, &opt));
        // The model-only loader refuses the image (it carries state), and vice versa.
        assert!(matches!(load(&mut m2, &buf), Err(ImageError::State { .. })));
        let plain = image(&m);
        assert!(matches!(
            load_with(&mut m2, &mut opt2, &plain),
            Err(ImageError::State { .. })
        ));
        // A started flag of 2.
        let mut b = buf;
        let n = b.len();
        b[n - 8] = 2;
        let crc = Crc32::of(&b[..n - 4]);
        b[n - 4..].copy_from_slice(&crc.to_le_bytes());
        let (mut m3, mut opt3) = (Net::ZERO, SgdMomentum::<f32, Net>::new(0.1, 0.9).unwrap());
        assert_eq!(
            load_with(&mut m3, &mut opt3, &b),
            Err(ImageError::InvalidCounter { found: 2 })
        );
        assert_eq!(m3, Net::ZERO);
        assert!(!opt3.started());
    }

    #[test]
    fn adam_state_resumes_exactly() {
        type A = Adam<f32, Net>;
        let data = |m: &mut Net, a: &mut A, k: u64| {
            let mut g = net(100 + k);
            g.scale(0.01);
            a.update(m, &mut g).unwrap();
        };
        let (mut m, mut a) = (net(1), A::new().with_lr(0.01).unwrap());
        for k in 0..3 {
            data(&mut m, &mut a, k);
        }
        let mut buf = [0u8; Image::<Net, f32, A>::SIZE];
        save_with(&m, &a, &mut buf).unwrap();
        let (mut m2, mut a2) = (Net::ZERO, A::new().with_lr(0.01).unwrap());
        load_with(&mut m2, &mut a2, &buf).unwrap();
        data(&mut m, &mut a, 3);
        data(&mut m2, &mut a2, 3);
        assert_eq!((m2.weights_hash(), a2.steps()), (m.weights_hash(), 4));
        // A negative second moment is refused, naming buffer 1.
        let at = 20 + 4 * 22 + 4 * 22;
        let mut b = buf;
        b[at..at + 4].copy_from_slice(&(-1.0f32).to_le_bytes());
        let n = b.len();
        let crc = Crc32::of(&b[..n - 4]);
        b[n - 4..].copy_from_slice(&crc.to_le_bytes());
        let (mut m3, mut a3) = (Net::ZERO, A::new());
        assert_eq!(
            load_with(&mut m3, &mut a3, &b),
            Err(ImageError::InvalidState {
                buffer: 1,
                tensor: 0,
                element: 0
            })
        );
        assert_eq!((m3, a3.steps()), (Net::ZERO, 0));
    }

    /// `write_with` streams the same bytes as `save_with`, state included, and a writer that
    /// fails part way or takes nothing is an error.
    #[cfg(feature = "embedded-io")]
    #[test]
    fn write_with_streams_the_saved_image() {
        type I = Image<Net, f32, SgdMomentum<f32, Net>>;
        let mut m = net(2);
        let mut opt = SgdMomentum::<f32, Net>::new(0.1, 0.9).unwrap();
        opt.update(&mut m, &mut net(7)).unwrap();
        let mut saved = [0u8; I::SIZE];
        assert_eq!(save_with(&m, &opt, &mut saved), Ok(I::SIZE));
        let mut streamed = [0x55u8; I::SIZE];
        let mut w: &mut [u8] = &mut streamed;
        assert_eq!(write_with(&m, &opt, &mut w), Ok(()));
        assert!(w.is_empty(), "{} bytes left unwritten", w.len());
        assert_eq!(streamed, saved);
        let (mut m2, mut opt2) = (Net::ZERO, SgdMomentum::<f32, Net>::new(0.1, 0.9).unwrap());
        assert_eq!(load_with(&mut m2, &mut opt2, &streamed), Ok(()));
        assert_eq!((m2, &opt2), (m, &opt));
        let mut short = [0u8; I::SIZE - 1];
        let mut w: &mut [u8] = &mut short;
        assert!(matches!(
            write_with(&m, &opt, &mut w),
            Err(WriteError::Io(_))
        ));
        /// A writer that accepts nothing.
        struct Full;
        impl embedded_io::ErrorType for Full {
            type Error = core::convert::Infallible;
        }
        impl embedded_io::Write for Full {
            fn write(&mut self, _: &[u8]) -> Result<usize, Self::Error> {
                Ok(0)
            }
            fn flush(&mut self) -> Result<(), Self::Error> {
                Ok(())
            }
        }
        assert_eq!(write_with(&m, &opt, &mut Full), Err(WriteError::WriteZero));
        assert_eq!(write(&m, &mut Full), Err(WriteError::WriteZero));
    }

    /// A wrong magic is "not an image" whatever follows: a full image with a valid checksum,
    /// and bytes too short for a header.
    #[test]
    fn a_wrong_magic_is_not_an_image() {
        let good = image(&net(5));
        for at in 0..4 {
            let mut b = good;
            b[at] ^= 0x20;
            let n = b.len();
            let crc = Crc32::of(&b[..n - 4]);
            b[n - 4..].copy_from_slice(&crc.to_le_bytes());
            let mut m = net(9);
            assert_eq!(load(&mut m, &b), Err(ImageError::NotAnImage), "byte {at}");
            assert_eq!(m, net(9));
            for len in [4, 5, HEADER_BYTES - 1] {
                assert_eq!(
                    load(&mut m, &b[..len]),
                    Err(ImageError::NotAnImage),
                    "byte {at}, {len} bytes"
                );
            }
        }
    }

    /// A momentum buffer value that is not finite is refused (the default `value_valid`),
    /// and a write error says what failed.
    #[test]
    fn a_non_finite_buffer_is_refused_and_write_errors_are_named() {
        use core::fmt::Write as _;
        type I = Image<Net, f32, SgdMomentum<f32, Net>>;
        let mut m = net(2);
        let mut opt = SgdMomentum::<f32, Net>::new(0.1, 0.9).unwrap();
        opt.update(&mut m, &mut net(7)).unwrap();
        // A value past the model (20 header bytes, 22 parameters) in the first tensor, then in
        // the second (the first layer's bias, after its 9 weights): each named so, nothing
        // loaded.
        for (element, bad, tensor, within) in [(3, f32::INFINITY, 0, 3), (10, f32::NAN, 1, 1)] {
            let mut b = [0u8; I::SIZE];
            save_with(&m, &opt, &mut b).unwrap();
            let at = 20 + 4 * 22 + 4 * element;
            b[at..at + 4].copy_from_slice(&bad.to_le_bytes());
            let n = b.len();
            let crc = Crc32::of(&b[..n - 4]);
            b[n - 4..].copy_from_slice(&crc.to_le_bytes());
            let (mut m2, mut opt2) = (Net::ZERO, SgdMomentum::<f32, Net>::new(0.1, 0.9).unwrap());
            assert_eq!(
                load_with(&mut m2, &mut opt2, &b),
                Err(ImageError::InvalidState {
                    buffer: 0,
                    tensor,
                    element: within
                })
            );
            assert_eq!((m2, opt2.started()), (Net::ZERO, false));
        }
        let mut s = heapless::String::<64>::new();
        let _ = write!(s, "{}", WriteError::<()>::WriteZero);
        assert_eq!(s.as_str(), "writing the image: the writer took no bytes");
    }

    /// The state error names both kinds when the image's code is known.
    #[test]
    fn state_errors_name_the_kinds() {
        use core::fmt::Write as _;
        let show = |e: ImageError| {
            let mut s = heapless::String::<96>::new();
            let _ = write!(s, "{e}");
            s
        };
        for kind in [StateKind::None, StateKind::SgdMomentum, StateKind::Adam] {
            assert_eq!(StateKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(StateKind::from_code(3), None);
        let found = StateKind::SgdMomentum.code();
        let e = ImageError::State {
            expected: StateKind::Adam,
            found,
        };
        assert_eq!(
            show(e).as_str(),
            "image with SGD momentum state, expected Adam state"
        );
        let e = ImageError::State {
            expected: StateKind::None,
            found: StateKind::Adam.code(),
        };
        assert_eq!(
            show(e).as_str(),
            "image with Adam state, expected no optimizer state"
        );
        let e = ImageError::State {
            expected: StateKind::None,
            found: 7,
        };
        assert_eq!(show(e).as_str(), "unknown optimizer state code 7");
    }

    /// In Q16.16 a rail is refused as a non-finite value, and every finite value loads.
    #[test]
    fn q16_rails_are_not_loaded() {
        use crate::Q16;
        type Q = Linear<Q16, 2, 2>;
        let good = Q::new(
            [[Q16::LARGEST, -Q16::LARGEST], [Q16::ONE, Q16::UNIT]],
            [Q16::ZERO, Q16::from_f64(-0.5)],
        );
        let mut buf = [0u8; Image::<Q, Q16>::SIZE];
        assert_eq!(save(&good, &mut buf), Ok(buf.len()));
        let mut m = Q::ZERO;
        assert_eq!(load(&mut m, &buf), Ok(()));
        assert_eq!(m, good);
        for (element, rail) in [(0, Q16::MAX), (1, Q16::MIN), (3, Q16::from_bits(i32::MIN))] {
            let mut bad = good;
            bad.weight.as_flattened_mut()[element] = rail;
            save(&bad, &mut buf).unwrap();
            let mut m = Q::ZERO;
            assert_eq!(
                load(&mut m, &buf),
                Err(ImageError::NonFinite { tensor: 0, element })
            );
            assert_eq!(m, Q::ZERO);
        }
    }

    #[test]
    fn errors_say_what_did_not_match() {
        use core::fmt::Write as _;
        let mut s = heapless::String::<128>::new();
        let _ = write!(
            s,
            "{}",
            ImageError::Format {
                expected: Format::F32,
                found: 2
            }
        );
        assert_eq!(s.as_str(), "image of f64 values, the model is f32");
        let name = params::tensor_name::<Net, f32>(2);
        assert_eq!(name.as_ref().map(|n| n.as_str()), Some("1.0.weight"));
        assert_eq!(params::tensor_name::<Net, f32>(6), None);
    }
}
