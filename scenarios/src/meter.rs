//! Timing a scenario's training steps: the device counts instructions, the host does nothing.

/// Times the training steps of a scenario. The firmware's meter reads the instruction counter
/// at [`start`](Meter::start) and [`stop`](Meter::stop); the host's ([`NoMeter`]) ignores both.
pub trait Meter {
    /// Called just before the first timed step.
    fn start(&mut self) {}
    /// Called just after the last timed step; `steps` is how many ran since `start`.
    fn stop(&mut self, steps: u32) {
        let _ = steps;
    }
}

/// A meter that measures nothing (the host's).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoMeter;

impl Meter for NoMeter {}
