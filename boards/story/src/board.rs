//! What a board provides to the story.

/// A board running the story: its clock and cycle counter, and its hooks.
pub trait Board {
    /// The core clock in hertz: cycles per second of [`cycles`](Board::cycles).
    const CLOCK_HZ: u32;

    /// The core's cycle counter (the DWT's `CYCCNT` on a Cortex-M33 or M4F), wrapping at
    /// 2^32.
    fn cycles(&mut self) -> u32;

    /// A microsecond counter of a timer peripheral, if the board keeps one running: the story
    /// times the steps with it too, a check of [`CLOCK_HZ`](Board::CLOCK_HZ).
    fn micros(&mut self) -> Option<u64> {
        None
    }

    /// Called once the accuracy before adaptation is logged; the adaptation starts when it
    /// returns (the micro:bit waits for its button A).
    fn ready(&mut self) {}

    /// Called before each adaptation step, untimed: `digit` is the class the network
    /// predicts for the sample the step is about to learn from, whose label is `label`.
    fn predicted(&mut self, position: usize, digit: usize, label: usize) {
        let _ = (position, digit, label);
    }
}
