#!/usr/bin/python3
"""The seed network built from torchvision.ops.DeformConv2d, timed like bench/network_bench.

What a PyTorch user would write instead of wdc: four deformable 3x3 blocks (32, 64, 128, 128
channels, strides 2, 1, 2, 2) whose offsets come from a zero-initialised 3x3 convolution, each
followed by BatchNorm and ReLU, global average pooling, a linear layer to 8 logits. Prints one
JSON object: training wafers/s (batch 32, SGD step) and inference wafers/s (batch 256).

    /usr/bin/python3 bench/torchvision_network.py [--threads N] [--seconds S]
"""
import argparse
import json
import os
import time

import torch
import torchvision


class Block(torch.nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.offset = torch.nn.Conv2d(cin, 18, 3, stride=stride, padding=1)
        torch.nn.init.zeros_(self.offset.weight)
        torch.nn.init.zeros_(self.offset.bias)
        self.conv = torchvision.ops.DeformConv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.norm = torch.nn.BatchNorm2d(cout)

    def forward(self, x):
        return torch.relu(self.norm(self.conv(x, self.offset(x))))


class SeedNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = torch.nn.Sequential(Block(1, 32, 2), Block(32, 64, 1), Block(64, 128, 2),
                                          Block(128, 128, 2))
        self.fc = torch.nn.Linear(128, 8)

    def forward(self, x):
        return self.fc(self.blocks(x).mean((2, 3)))


def rate(seconds, step):
    step()
    calls, start = 0, time.perf_counter()
    while True:
        step()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return calls / elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    maps = torch.randint(0, 3, (256, 1, 52, 52)).float()
    labels = torch.randint(0, 2, (256, 8)).float()
    net = SeedNet()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

    def train_step():
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(net(maps[:32]), labels[:32])
        loss.backward()
        optimizer.step()

    net.train()
    train = 32 * rate(args.seconds, train_step)
    net.eval()
    with torch.inference_mode():
        infer = 256 * rate(args.seconds, lambda: net(maps))
    print(json.dumps({"threads": args.threads, "torch": torch.__version__,
                      "torchvision": torchvision.__version__,
                      "train_wafers_per_s": train, "infer_wafers_per_s": infer}))


if __name__ == "__main__":
    main()
