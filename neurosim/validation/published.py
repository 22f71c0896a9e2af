"""Published chip figures used to fit the presets and to validate them, each with its source and
confidence grade (H: read in the primary text or the authors' own data; M: a careful secondary
transcription that quotes the primary; see docs/validation.md). One place, so a figure cannot be used
as a fit in one module and as a validation in another without it showing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    value: float
    unit: str
    source: str
    grade: str


# --- IBM TrueNorth (1 kHz tick, 4096 cores x 256 neurons, uniform random targets: 21.3 hops in x and in y) ----
TN_NEURONS = 1_048_576
TN_MEAN_HOPS = 21.3          # Merolla 2014 SM S7: "21.3 cores away on average in both x and y"
TN_V1 = {   # (voltage V, rate Hz, active synapses per neuron): total chip power
    (0.775, 20.0, 128): Figure(72e-3, "W", "Merolla 2014 p. 7 (72 mW at 0.775 V, 20 Hz, 128 synapses)", "M"),
    (0.75, 20.0, 128): Figure(65e-3, "W", "Akopyan 2015 sec. VII (65 mW at 0.75 V, same network)", "M"),
    (0.70, 0.0, 0): Figure(42e-3, "W", "Akopyan 2015 sec. VII (low corner: 0.70 V, 0 Hz, 0 synapses)", "M"),
    (1.05, 200.0, 256): Figure(323e-3, "W", "Akopyan 2015 sec. VII (high corner: 1.05 V, 200 Hz, 256 synapses)", "M"),
}
TN_FIG17 = {  # Akopyan 2015 Fig. 17: 0.8 V, 128 synapses per neuron, three rates
    (0.8, 11.58, 128): Figure(68e-3, "W", "Akopyan 2015 Fig. 17 (0.8 V, 11.58 Hz)", "M"),
    (0.8, 20.07, 128): Figure(71e-3, "W", "Akopyan 2015 Fig. 17 (0.8 V, 20.07 Hz)", "M"),
    (0.8, 95.93, 128): Figure(94e-3, "W", "Akopyan 2015 Fig. 17 (0.8 V, 95.93 Hz)", "M"),
}
TN_GSOPS_PER_W = {1.0: Figure(46.0, "GSOPS/W", "Merolla 2014 SM S8: real time (1 ms ticks)", "M"),
                  5.0: Figure(70.0, "GSOPS/W", "Merolla 2014 SM S8: 5x real time (200 us ticks)", "M")}

# --- Intel Loihi (one chip, supply rails VDD 0.75 V + VDDM 0.90 V) ------------------------------------------
LOIHI_BOOT_IDLE = Figure(29.6e-3, "W", "Blouw 2019 raw power logs (abr/power_benchmarks logs/idle): mean idle "
                         "after boot, VDD + VDDM rails", "H")
LOIHI_ARMED = Figure(70e-3, "W", "Blouw 2019 sec. Data I/O: idle after a run exceeds idle after boot by "
                     "'approximately 70mW' (the embedded x86 cores activated)", "H")
LOIHI_STATIC_32 = Figure(3.34, "W", "Frady 2020 Table 1: static power of a 32-chip board, all circuits powered",
                         "M")
LOIHI_X86_32 = Figure(2.09, "W", "Frady 2020 Table 1: x86 power of a 32-chip board (2.09-2.14 W)", "M")
LOIHI_KWS_RUN = Figure(0.110, "W", "Blouw 2019 Table 1: Loihi running power, keyword spotter (296 inf/s)", "H")
LOIHI_KWS_RATE = 296.0       # inferences per second (Blouw 2019 Table 1)
# Blouw 2019's scaling runs (abr/power_benchmarks logs/running/loihi_I08O08C<copies>L<layers>, mean of 3 runs):
# 390 -> 256 -> <copies> chains of <layers> x 256 -> 256 -> 29, random weights; (running W, inferences/s)
LOIHI_KWS_SCALED = {
    (0, 0): (Figure(0.1075, "W", "Blouw 2019 logs, scaled model C0 L0 (125.8 inf/s)", "H"), 125.8),
    (10, 10): (Figure(0.1248, "W", "Blouw 2019 logs, scaled model C10 L10 (114.0 inf/s)", "H"), 114.0),
}
LOIHI_KNN_NEURO = Figure(1.33e-3, "J", "Frady 2020 Table 2: neuromorphic-core energy per query, k = 1, 76,800 "
                         "patterns on 32 chips", "M")

# --- ODIN (0.55 V, 28 nm FDSOI, one core of 256 neurons x 256 synapses) -------------------------------------
ODIN_ACCEL = Figure(477e-6, "W", "Frenkel 2019 sec. IV-A: 477 uW at 0.55 V, 75 MHz, SOPs at the maximum rate", "M")
ODIN_BIO = Figure(35e-6, "W", "Frenkel 2019 sec. IV-A: 35 uW at 0.55 V, 1.3 MHz, 256 neurons at 10 Hz", "M")

# --- Loihi systems (Frady 2020: Nahuku boards of 32 chips; Pohoiki Springs, 768 chips on 24 boards) ---------
LOIHI_BARRIER = {256: Figure(14.3e-6, "s", "Frady 2020 sec. 5: barrier sync per 256-chip column", "M"),
                 768: Figure(16.2e-6, "s", "Frady 2020 sec. 5: barrier sync across 768 chips", "M")}
LOIHI_KNN_STEP_32 = Figure(5.8e-6, "s", "Frady 2020 sec. 5: time per step, unthrottled, 76,800 patterns on 32 chips",
                           "M")
LOIHI_KNN_RESET = Figure(0.19e-3, "J", "Frady 2020 Table 2: reset energy per query, 76,800 patterns on 32 chips", "M")
