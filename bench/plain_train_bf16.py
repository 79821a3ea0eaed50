# Would training in bfloat16 pay on this CPU? Training throughput of a plain-conv network of the
# seed network's widths in PyTorch, float32 against CPU autocast to bfloat16 (float32 master
# weights), batch 32, 2 threads, two rounds each (docs/PERFORMANCE.md, "bfloat16 inference").
#
#   /usr/bin/python3 bench/plain_train_bf16.py
import time, torch, torch.nn as nn
torch.set_num_threads(2); torch.manual_seed(0)
def net():
    layers, c = [], 3
    for o, s in ((32, 2), (64, 1), (128, 2), (128, 2)):
        layers += [nn.Conv2d(c, o, 3, s, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]; c = o
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 8))
x = torch.randn(32, 3, 52, 52).to(memory_format=torch.channels_last)
y = (torch.rand(32, 8) > 0.7).float()
for mode in ("fp32", "bf16", "fp32", "bf16"):
    m = net().to(memory_format=torch.channels_last); opt = torch.optim.SGD(m.parameters(), 0.01, momentum=0.9)
    def step():
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=(mode == "bf16")):
            out = m(x)
        loss = nn.functional.binary_cross_entropy_with_logits(out.float(), y); loss.backward(); opt.step()
    for _ in range(5): step()
    n, t = 0, time.perf_counter()
    while time.perf_counter() - t < 4: step(); n += 1
    print(mode, "%.0f maps/s" % (32 * n / (time.perf_counter() - t)))
