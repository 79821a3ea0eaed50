# Would training in bfloat16 pay on this CPU? Training throughput of a plain-conv network of the
# seed network's widths in PyTorch, float32 against CPU autocast to bfloat16 (float32 master
# weights), batch 32, 2 threads, two rounds each (docs/PERFORMANCE.md, "bfloat16 inference").
#
#   /usr/bin/python3 bench/plain_train_bf16.py
import time

import torch
import torch.nn as nn


def seed_widths_network() -> nn.Module:
    layers, channels = [], 3
    for out, stride in ((32, 2), (64, 1), (128, 2), (128, 2)):
        conv = nn.Conv2d(channels, out, 3, stride, 1, bias=False)
        layers += [conv, nn.BatchNorm2d(out), nn.ReLU()]
        channels = out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, 8))


def maps_per_second(bf16: bool, x: torch.Tensor, y: torch.Tensor, seconds: float = 4.0) -> float:
    model = seed_widths_network().to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), 0.01, momentum=0.9)

    def step() -> None:
        optimizer.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(x)
        nn.functional.binary_cross_entropy_with_logits(logits.float(), y).backward()
        optimizer.step()

    for _ in range(5):  # warm-up: oneDNN builds its kernels on first use
        step()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        steps += 1
    return x.shape[0] * steps / (time.perf_counter() - start)


def main() -> None:
    torch.set_num_threads(2)
    torch.manual_seed(0)
    x = torch.randn(32, 3, 52, 52).to(memory_format=torch.channels_last)
    y = (torch.rand(32, 8) > 0.7).float()
    for bf16 in (False, True, False, True):
        print(f"{'bf16' if bf16 else 'fp32'} {maps_per_second(bf16, x, y):.0f} maps/s")


if __name__ == "__main__":
    main()
