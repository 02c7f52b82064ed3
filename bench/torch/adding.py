# The adding problem and the DilatedRNN reshape, as bench/torch/memory.py trains them (and
# test/fixtures/memory/make_adding_trajectory.py checks recur against them).
import torch


def batch(T, n, g):
    """n sequences of the adding problem, time-major: x [T, n, 2] (value, marker), y [n, 1]."""
    x = torch.zeros(T, n, 2)
    x[:, :, 0] = torch.rand(T, n, generator=g)
    first = torch.randint(0, T // 2, (n,), generator=g)
    second = T // 2 + torch.randint(0, T - T // 2, (n,), generator=g)
    idx = torch.arange(n)
    x[first, idx, 1] = 1
    x[second, idx, 1] = 1
    y = x[first, idx, 0] + x[second, idx, 0]
    return x, y.unsqueeze(1)


def dilated(rnn, x, d):
    """rnn over the d interleaved sub-sequences x[r::d] side by side, each from zero state."""
    n, b, f = x.shape
    padded = -(-n // d) * d
    if padded > n:   # pad at the end: the padded steps come after every real one
        x = torch.cat([x, x.new_zeros(padded - n, b, f)])
    out, _ = rnn(x.reshape(padded // d, d * b, f))   # row (k, r, b) is step k*d + r
    return out.reshape(padded, b, -1)[:n]
