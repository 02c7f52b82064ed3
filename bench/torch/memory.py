# PyTorch side by side for bench/memory.js (issue #17): the adding problem in PyTorch, each of
# recur's configurations written by hand as a PyTorch user would:
#   default   torch.nn.LSTM(2, 64), PyTorch's default initialisation.
#   chrono    the same with chrono initialisation (Tallec & Ollivier 2018: b_f ~ log U(1, T-1),
#             b_i = -b_f, in bias_ih; bias_hh's blocks 0).
#   dilated   recur's { numLayers: 2, dilation: [1, round(sqrt(T))] }: torch.nn.LSTM(2, 64), then
#             torch.nn.LSTM(64, 64) dilated the standard DilatedRNN way (Chang et al. 2017): the
#             time axis padded at the END to a multiple of d = round(sqrt(T)), [T', B, H] reshaped
#             to [T'/d, d*B, H] (row (k, r, b) is step k*d + r, so each r is one interleaved
#             sub-sequence, run from zero state), reshaped back and the padding dropped. Padded
#             steps come after every real one, so they never reach a real output. The head reads
#             layer 1's output at step T-1. PyTorch's default init for both layers.
#   leaky     recur's { learnLeak: true, leak: 0.1 }: torch.nn.LSTMCell(2, 64) in a Python loop,
#             h_t = (1 - alpha) * h_{t-1} + alpha * h~_t, (h~_t, c_t) = cell(x_t, (h_{t-1}, c_{t-1}))
#             (the cell reads the leaky h and its own c; c does not leak), alpha = sigmoid(a),
#             a learned, shape [64], initialised to logit(0.1). PyTorch's default init for the cell.
# Same task, head, optimizer and stopping rule as bench/memory.js: recurrent part + Linear(64 -> 1),
# Adam lr 1e-3 over every parameter (a too), batch 32, MSE on the last step, test MSE on 1,000
# held-out sequences every 100 steps, solved below 0.01, capped at --max-steps. (The random
# streams differ from recur's: the comparison is steps to solve, not bits.)
#
#   /usr/bin/python3 bench/torch/memory.py --T 50 --config chrono --seed 1 [--max-steps 10000] [--out bench/memory-torch.json]
#
# Debian's python3-torch (1.13, hence /usr/bin/python3); one thread, so two runs can share a 2-core machine.
import argparse, json, os, re, time
import torch

from adding import batch as adding_batch, dilated   # bench/torch/adding.py

p = argparse.ArgumentParser()
p.add_argument('--T', type=int, required=True)
p.add_argument('--config', choices=['default', 'chrono', 'dilated', 'leaky'], required=True)
p.add_argument('--seed', type=int, default=1)
p.add_argument('--max-steps', type=int, default=10000)
p.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'memory-torch.json'))
a = p.parse_args()
torch.set_num_threads(1)
torch.manual_seed(a.seed)
H, B, TEST, T = 64, 32, 1000, a.T

def batch(n, g):
    return adding_batch(T, n, g)

# Modules are made in the order the first version of this script made them (recurrent layers, then
# the head, then chrono's draw), so the recorded default and chrono runs reproduce.
if a.config in ('default', 'chrono'):
    lstm, head = torch.nn.LSTM(2, H), torch.nn.Linear(H, 1)
    if a.config == 'chrono':
        with torch.no_grad():
            bf = torch.log(torch.empty(H).uniform_(1, T - 1))
            lstm.bias_ih_l0.zero_(); lstm.bias_hh_l0.zero_()
            lstm.bias_ih_l0[H:2 * H] = bf          # forget gate (PyTorch's order: i, f, g, o)
            lstm.bias_ih_l0[0:H] = -bf             # input gate
    params = list(lstm.parameters())

    def recurrent(x):
        out, _ = lstm(x)
        return out[-1]
elif a.config == 'dilated':
    D = round(T ** 0.5)
    lstm0, lstm1, head = torch.nn.LSTM(2, H), torch.nn.LSTM(H, H), torch.nn.Linear(H, 1)
    params = list(lstm0.parameters()) + list(lstm1.parameters())

    def recurrent(x):
        out0, _ = lstm0(x)
        return dilated(lstm1, out0, D)[-1]
else:   # leaky
    cell, head = torch.nn.LSTMCell(2, H), torch.nn.Linear(H, 1)
    leak_logit = torch.nn.Parameter(torch.full((H,), float(torch.logit(torch.tensor(0.1, dtype=torch.float64)))))
    params = list(cell.parameters()) + [leak_logit]

    def recurrent(x):
        alpha = torch.sigmoid(leak_logit)
        h = c = x.new_zeros(x.shape[1], H)
        for t in range(x.shape[0]):
            h_tilde, c = cell(x[t], (h, c))
            h = (1 - alpha) * h + alpha * h_tilde
        return h
opt = torch.optim.Adam(params + list(head.parameters()), lr=1e-3)
train_g, test_g = torch.Generator().manual_seed(a.seed * 7919 + T), torch.Generator().manual_seed(1_000_003 + T)
tx, ty = batch(TEST, test_g)

def forward(x):
    return head(recurrent(x))

start, solved, curve, last = time.time(), None, [], float('nan')
for step in range(1, a.max_steps + 1):
    x, y = batch(B, train_g)
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(forward(x), y)
    loss.backward()
    opt.step()
    if step % 100 == 0:
        with torch.no_grad():
            last = float(torch.nn.functional.mse_loss(forward(tx), ty))
        curve.append([step, round(last, 5)])
        if last < 0.01:
            solved = {'step': step, 'seconds': round(time.time() - start, 1)}
            break
seconds = time.time() - start
steps = solved['step'] if solved else a.max_steps
run = {'T': T, 'config': a.config, 'seed': a.seed, 'maxSteps': a.max_steps, 'solvedAt': solved, 'finalTestMse': round(last, 5),
       'msPerStep': round(seconds * 1000 / steps, 2), 'torch': torch.__version__, 'threads': 1, 'curve': curve}
runs = json.load(open(a.out))['runs'] if os.path.exists(a.out) else []
runs = [r for r in runs if not (r['T'] == T and r['config'] == a.config and r['seed'] == a.seed and r['maxSteps'] == a.max_steps)] + [run]
text = json.dumps({'runs': runs}, indent=1)
open(a.out, 'w').write(re.sub(r'\[\s+(\d+),\s+([\d.e-]+)\s+\]', r'[\1, \2]', text) + '\n')
print(f"torch T {T} {a.config} seed {a.seed}: " + (f"solved at step {solved['step']} ({solved['seconds']} s)" if solved else f"not solved in {a.max_steps} steps (test MSE {last:.4f})") + f", {run['msPerStep']} ms/step")
