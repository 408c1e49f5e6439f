"""Web / app anonymous ids: people's devices, anonymous-only visitors and shared kiosks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dagster_project.sample_data.common import Window, positions

# Anonymous ids: whose device it is.
PERSON_DEVICE, ANONYMOUS_ONLY, KIOSK = range(3)
WEB, APP = 0, 1
DEVICE_TYPES = ("desktop", "mobile", "tablet")


def make_anons(rng, people: pd.DataFrame, win: Window) -> pd.DataFrame:
    """Web/app anonymous ids: people's devices, anonymous-only visitors, shared kiosks.

    Sets people.anon_first (index of the person's first device, -1 without one).
    """
    n_anons = people.n_anons.values
    owners = np.flatnonzero(n_anons > 0)
    person = np.repeat(owners, n_anons[owners])
    slot = positions(n_anons[owners])
    n_own = len(person)
    channel = np.where((slot == 1) | (rng.random(n_own) < 0.12), APP, WEB)
    identify = (people.email_known.values[person]
                & (~people.has_contact.values[person] | (rng.random(n_own) < 0.4)))
    n_only = max(1, round(0.43 * n_own))  # ~30 % of all anonymous ids never log in
    only_channel = np.where(rng.random(n_only) < 0.2, APP, WEB)
    n_kiosk = max(1, len(people) // 2000)
    anons = pd.DataFrame({
        "person": np.r_[person, np.full(n_only, -1), np.full(n_kiosk, -1)],
        "role": np.r_[np.full(n_own, PERSON_DEVICE), np.full(n_only, ANONYMOUS_ONLY),
                      np.full(n_kiosk, KIOSK)].astype(np.int8),
        "channel": np.r_[channel, only_channel, np.full(n_kiosk, WEB)].astype(np.int8),
        "identify": np.r_[identify, np.zeros(n_only + n_kiosk, bool)],
    })
    web_device = rng.choice(3, size=len(anons), p=[0.45, 0.45, 0.10])
    app_device = rng.choice([1, 2], size=len(anons), p=[0.9, 0.1])
    device = np.where(anons.channel.values == WEB, web_device, app_device)
    device[anons.role.values == KIOSK] = 2
    anons["device"] = device.astype(np.int8)
    anons["anon"] = np.arange(len(anons))
    anon_first = np.full(len(people), -1, np.int64)
    anon_first[owners] = np.cumsum(n_anons[owners]) - n_anons[owners]
    people["anon_first"] = anon_first
    return anons
