"""The server's checks of an update (`image.decode`) and the faulty client's damage: every
damaged image is refused, with the reason; the committed host-trained image passes.

    python3 -m unittest discover -s fleet/tests
"""

import pathlib
import sys
import unittest

import numpy as np

FLEET = pathlib.Path(__file__).resolve().parents[1]
ROOT = FLEET.parent
sys.path.insert(0, str(FLEET))

from skipgrad_fleet import image, network, trainers  # noqa: E402

TRAINED = (ROOT / "digits" / "data" / "trained.skgi").read_bytes()


class Images(unittest.TestCase):
    def test_the_committed_image_round_trips(self):
        arrays = image.decode(TRAINED)
        self.assertEqual(len(TRAINED), image.SIZE)
        self.assertEqual(image.encode(arrays), TRAINED)
        self.assertEqual([a.shape for a in arrays.values()], [s for _, s in network.TENSORS])

    def test_every_fault_is_refused(self):
        for fault, reason in (("checksum", "bad checksum"), ("nan", "not finite"), ("shape", "wrong shape")):
            with self.subTest(fault=fault):
                with self.assertRaisesRegex(image.ImageError, reason):
                    image.decode(trainers.damage(TRAINED, fault))

    def test_other_damage_is_refused(self):
        cases = {
            "too short": TRAINED[:10],
            "not an image": b"XKGI" + TRAINED[4:],
            "wrong length": image.seal(TRAINED[:-4] + b"\0\0\0\0"),
            "version": TRAINED[:4] + b"\x02" + TRAINED[5:],
            "number type": TRAINED[:6] + b"\x02" + TRAINED[7:],
        }
        for name, data in cases.items():
            with self.subTest(name):
                with self.assertRaises(image.ImageError):
                    image.decode(data)
        inf = network.flat(image.decode(TRAINED))
        inf[-1] = np.inf
        with self.assertRaisesRegex(image.ImageError, "not finite"):
            image.decode(image.seal(image.header() + inf.astype("<f4").tobytes()))

    def test_every_flipped_bit_of_the_header_and_checksum_is_refused(self):
        for at in [*range(image.HEADER_BYTES), *range(image.SIZE - 4, image.SIZE)]:
            for bit in range(8):
                data = bytearray(TRAINED)
                data[at] ^= 1 << bit
                with self.assertRaises(image.ImageError, msg=f"byte {at} bit {bit}"):
                    image.decode(bytes(data))


if __name__ == "__main__":
    unittest.main()
