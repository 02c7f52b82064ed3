#!/usr/bin/python3
# The PyTorch reference char-level LSTM: the accuracy evidence for recur's f16 and int8 weights
# (models/eval_char.js) and for recur ≡ torch on a real model.
#
#   /usr/bin/python3 models/train_char_torch.py [--minutes 15] [--hidden 128]
#
# Needs Debian's python3-torch (1.13) and the text of models/prepare_text.js. Writes
#   models/char-lstm-torch.safetensors  the state dict (embed.weight, lstm.weight_ih_l0, …,
#                                       head.bias) as a plain safetensors file, {"format": "pt"}
#   models/char-lstm-torch.json         the vocabulary, the architecture (for recur's loadModel),
#                                       and torch's own validation bits/char
# The `safetensors` package is not in Debian, so the file is written by save_safetensors below:
# 8-byte little-endian header length, the JSON header, then the raw little-endian tensors.

import argparse, json, math, os, struct, time
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB = '\n' + ''.join(chr(c) for c in range(32, 127))   # the same 96 characters as train_char_recur.js

p = argparse.ArgumentParser()
p.add_argument('--minutes', type=float, default=15.0, help='training time budget')
p.add_argument('--hidden', type=int, default=128)
p.add_argument('--embed', type=int, default=32)
p.add_argument('--batch', type=int, default=32)
p.add_argument('--seq', type=int, default=32)
p.add_argument('--lr', type=float, default=5e-3)
p.add_argument('--seed', type=int, default=0)
p.add_argument('--threads', type=int, default=1)   # Debian's generic BLAS: 1 thread was fastest here
args = p.parse_args()
torch.manual_seed(args.seed)
torch.set_num_threads(args.threads)

def load(name):
    text = open(os.path.join(HERE, 'data', name), encoding='ascii').read()
    index = {c: i for i, c in enumerate(VOCAB)}
    return torch.tensor([index[c] for c in text], dtype=torch.long)

train, valid = load('jargon-train.txt'), load('jargon-valid.txt')
V = len(VOCAB)

class CharLSTM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(V, args.embed)
        self.lstm = torch.nn.LSTM(args.embed, args.hidden)
        self.head = torch.nn.Linear(args.hidden, V)

    def forward(self, ids, state=None):          # ids [T, B] → logits [T, B, V]
        out, state = self.lstm(self.embed(ids), state)
        return self.head(out), state

model = CharLSTM()
opt = torch.optim.Adam(model.parameters(), lr=args.lr)

@torch.no_grad()
def bits_per_char(ids, chunk=2000):
    """Mean cross-entropy of each next character, in bits: one sequence, state carried across chunks."""
    model.eval()
    total, state = 0.0, None
    for at in range(0, len(ids) - 1, chunk):
        x = ids[at:min(at + chunk, len(ids) - 1)]
        y = ids[at + 1:at + 1 + len(x)]
        logits, state = model(x[:, None], state)
        total += torch.nn.functional.cross_entropy(logits[:, 0], y, reduction='sum').item()
    model.train()
    return total / (len(ids) - 1) / math.log(2)

# As in Karpathy's char-rnn: the text is cut into `batch` contiguous streams, each update reads
# the next `seq` characters of every stream, and the state is carried from update to update
# (detached: truncated BPTT), so the model learns from long contexts, as it is evaluated. The
# learning rate follows a cosine over the time budget, down to a tenth. The budget counts
# training only, not evaluation.
streams = train[:len(train) // args.batch * args.batch].view(args.batch, -1).t()   # [L, B]
started, trained, step, log, at, state = time.time(), 0.0, 0, [], 0, None
while trained < args.minutes * 60:
    t0 = time.time()
    if at + args.seq + 1 > streams.shape[0]:
        at, state = 0, None                          # a new epoch
    w = streams[at:at + args.seq + 1]                # [seq+1, B]
    at += args.seq
    for g in opt.param_groups:
        g['lr'] = args.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * trained / (args.minutes * 60))))
    logits, state = model(w[:-1], state)
    state = tuple(s.detach() for s in state)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), w[1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    step += 1
    trained += time.time() - t0
    if step % 50 == 0:
        print(f'step {step}  loss {loss.item() / math.log(2):.3f} bits/char  {trained:.0f} s', flush=True)
    if step % 1000 == 0:
        log.append({'step': step, 'seconds': round(trained), 'validBitsPerChar': round(bits_per_char(valid[:20000]), 4)})
        print('  valid (first 20k chars)', log[-1]['validBitsPerChar'], flush=True)

valid_bpc = bits_per_char(valid)
print(f'validation: {valid_bpc:.4f} bits/char after {step} steps, {trained / 60:.1f} min')

def save_safetensors(path, tensors, metadata):
    header, blobs, offset = {'__metadata__': metadata}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().to(torch.float32).numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(',', ':')).encode()
    head += b' ' * (-len(head) % 8)                  # the data starts 8-byte aligned
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)

save_safetensors(os.path.join(HERE, 'char-lstm-torch.safetensors'), model.state_dict(), {'format': 'pt'})
architecture = {'layers': [
    {'name': 'embed', 'type': 'embedding', 'numEmbeddings': V, 'embeddingDim': args.embed},
    {'name': 'lstm', 'type': 'lstm', 'inputSize': args.embed, 'hiddenSize': args.hidden},
    {'name': 'head', 'type': 'linear', 'inFeatures': args.hidden, 'outFeatures': V},
]}
with open(os.path.join(HERE, 'char-lstm-torch.json'), 'w') as f:
    json.dump({
        'vocab': VOCAB, 'unknown': ' ', 'architecture': architecture,
        'torch': {
            'version': torch.__version__, 'validBitsPerChar': round(valid_bpc, 6), 'steps': step,
            'trainingMinutes': round(trained / 60, 2), 'batch': args.batch, 'seqLen': args.seq,
            'lr': args.lr, 'schedule': 'cosine over the time budget, to lr/10', 'optimizer': 'adam',
            'data': 'batch contiguous streams, state carried across updates (truncated BPTT)', 'clipNorm': 1.0, 'threads': args.threads, 'log': log,
        },
    }, f, indent=1)
    f.write('\n')
