"""backend.launch.detect_hardware's cache (backend.hardware_cache): one probe per boot, device set, torch and Python."""

from __future__ import annotations

import json
import subprocess
from types import SimpleNamespace

import pytest

from backend import hardware_cache, launch
from backend.launch import Hardware, detect_hardware


class FakeMachine:
    """Stands in for the torch probe child and nvidia-smi; counts how often each runs."""

    def __init__(self, probe="[0, [], [], [], []]", smi="", smi_fails=False):
        self.probe, self.smi, self.smi_fails = probe, smi, smi_fails
        self.probes = self.smi_calls = 0

    def run(self, argv, **kwargs):
        if argv[0] == "nvidia-smi":
            self.smi_calls += 1
            if self.smi_fails:
                raise FileNotFoundError("nvidia-smi")
            return SimpleNamespace(stdout=self.smi)
        assert argv[1:3] == ["-c", launch._PROBE]
        self.probes += 1
        if self.probe is None:
            raise subprocess.CalledProcessError(1, argv)
        return SimpleNamespace(stdout="some torch warning\n" + self.probe + "\n")


@pytest.fixture
def machine(monkeypatch, tmp_path):
    monkeypatch.setenv("STUDIO_HOME", str(tmp_path))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    monkeypatch.setattr(hardware_cache, "boot_id", lambda: "boot-1")
    fake = FakeMachine()
    monkeypatch.setattr(subprocess, "run", fake.run)
    return fake


def test_second_call_does_not_reprobe(machine, tmp_path):
    first = detect_hardware()
    assert machine.probes == 1 and first.gpu_count == 0
    stored = json.loads((tmp_path / "cache" / "hardware.json").read_text())
    assert stored["key"]["boot_id"] == "boot-1" and stored["key"]["cuda_visible_devices"] == ""
    assert detect_hardware() == first
    assert machine.probes == 1


def test_another_device_set_or_boot_reprobes(machine, monkeypatch):
    detect_hardware()
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    detect_hardware()
    assert machine.probes == 2
    detect_hardware()
    assert machine.probes == 2  # the new key's entry is now the stored one
    monkeypatch.setattr(hardware_cache, "boot_id", lambda: "boot-2")
    detect_hardware()
    assert machine.probes == 3
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")  # unset is not the same as empty (empty hides every GPU)
    detect_hardware()
    assert machine.probes == 4


def test_another_torch_or_python_reprobes(machine, monkeypatch):
    detect_hardware()
    monkeypatch.setattr(hardware_cache.metadata, "version", lambda name: "9.9.9")
    detect_hardware()
    assert machine.probes == 2
    detect_hardware(python="/usr/bin/python3")
    assert machine.probes == 3


def test_gpus_keep_their_probe_but_free_memory_is_read_afresh_by_uuid(machine):
    machine.probe = "[2, [9, 8], [70.0, 60.0], [79.1, 79.1], ['aaaa-1', 'bbbb-2']]".replace("'", '"')
    first = detect_hardware()
    assert (first.gpu_count, first.bf16_supported, first.gpu_free_gb) == (2, True, (70.0, 60.0))
    machine.smi = "GPU-bbbb-2, 1024\nGPU-aaaa-1, 40960\n"  # nvidia-smi's own order, MiB
    second = detect_hardware()
    assert machine.probes == 1 and machine.smi_calls == 1
    assert second == Hardware(2, True, first.cpu_count, gpu_free_gb=(40.0, 1.0), gpu_total_gb=(79.1, 79.1))


def test_without_nvidia_smi_gpus_are_probed_again(machine):
    machine.probe = '[1, [7], [10.0], [16.0], ["cccc-3"]]'
    machine.smi_fails = True
    detect_hardware()
    assert detect_hardware().gpu_free_gb == (10.0,)
    assert machine.probes == 2


def test_a_failed_probe_is_not_stored(machine, tmp_path):
    machine.probe = None
    assert detect_hardware().gpu_count == 0
    assert not (tmp_path / "cache" / "hardware.json").exists()
    detect_hardware()
    assert machine.probes == 2


def test_a_damaged_cache_file_is_a_miss_and_is_replaced(machine, tmp_path):
    detect_hardware()
    path = tmp_path / "cache" / "hardware.json"
    path.write_text("{not json")
    detect_hardware()
    assert machine.probes == 2 and json.loads(path.read_text())["probe"]["gpu_count"] == 0


def test_cache_false_neither_reads_nor_writes(machine, tmp_path):
    detect_hardware(cache=False)
    detect_hardware(cache=False)
    assert machine.probes == 2 and not (tmp_path / "cache").exists()


def test_no_boot_id_means_no_cache(machine, monkeypatch, tmp_path):
    monkeypatch.setattr(hardware_cache, "boot_id", lambda: None)
    detect_hardware()
    detect_hardware()
    assert machine.probes == 2 and not (tmp_path / "cache").exists()


def test_the_cache_follows_an_explicit_workspace(machine, tmp_path):
    other = tmp_path / "elsewhere"
    detect_hardware(home=other)
    assert (other / "cache" / "hardware.json").exists()
    detect_hardware(home=other)
    assert machine.probes == 1
