# The weights every peer in the comparison shares (npm run bench:peers).
#
#   /usr/bin/python3 bench/peers/models/make_onnx.py
#
# Needs Debian's python3-torch (1.13) and python3-onnx (1.12), which live under /usr/bin/python3;
# the outputs are committed, so running the benchmark does not.
#
# For each recurrent model (seeded torch init, PyTorch's U(-1/√H, 1/√H)) it writes
#   <name>.safetensors  the state dict as a recur model file: rnn.weight_ih_l0, … with the
#                       architecture in the metadata, so recur's loadModel() reads it as is and
#                       the other adapters (TF.js, the naive loop) convert the same tensors
#   <name>.onnx         torch.onnx.export of the same module: inputs x [T, B, I], h0 (and c0)
#                       [1, B, H]; outputs y [T, B, H], hn (and cn); T and B dynamic, so one
#                       file serves a streaming step (T = 1) and a whole sequence
# and for the training workload
#   char-lstm.safetensors  Embedding(64, 64) → LSTM(64, 128) → Linear(128, 64)
# Output is deterministic: the same seeds give the same bytes.

import json
import os
import struct

import torch
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 14


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


def recur_metadata(layers):
    return {'format': 'recur', 'version': '1', 'model': json.dumps({'layers': layers}, separators=(',', ':'))}


class WithState(torch.nn.Module):
    """nn.LSTM / nn.GRU with the state as explicit inputs and outputs, as a streaming caller needs."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x, h0, c0=None):
        if isinstance(self.rnn, torch.nn.LSTM):
            y, (hn, cn) = self.rnn(x, (h0, c0))
            return y, hn, cn
        y, hn = self.rnn(x, h0)
        return y, hn


MODELS = [
    # name,            cell,  I,   H,   seed
    ('lstm-64-128',  'lstm', 64, 128, 1),
    ('gru-64-128',   'gru',  64, 128, 2),
    ('lstm-128-512', 'lstm', 128, 512, 3),
]

for name, cell, I, H, seed in MODELS:
    torch.manual_seed(seed)
    rnn = (torch.nn.LSTM if cell == 'lstm' else torch.nn.GRU)(I, H)
    rnn.eval()
    state = {f'rnn.{k}': v for k, v in rnn.state_dict().items()}
    save_safetensors(os.path.join(HERE, f'{name}.safetensors'), state,
                     recur_metadata([{'name': 'rnn', 'type': cell, 'inputSize': I, 'hiddenSize': H}]))

    module = WithState(rnn)
    T, B = 3, 2
    x = torch.randn(T, B, I)
    h0 = torch.zeros(1, B, H)
    args = (x, h0, torch.zeros(1, B, H)) if cell == 'lstm' else (x, h0)
    inputs = ['x', 'h0', 'c0'] if cell == 'lstm' else ['x', 'h0']
    outputs = ['y', 'hn', 'cn'] if cell == 'lstm' else ['y', 'hn']
    axes = {'x': {0: 'T', 1: 'B'}, 'y': {0: 'T', 1: 'B'}}
    for s in inputs[1:] + outputs[1:]:
        axes[s] = {1: 'B'}
    path = os.path.join(HERE, f'{name}.onnx')
    with torch.no_grad():
        torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs,
                          dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))
    print(f'{name}: {path} ({os.path.getsize(path)} bytes), safetensors with {len(state)} tensors')

# The training workload's model. recur's Sequential names the attributes embed / lstm / head.
V, E, H = 64, 64, 128
torch.manual_seed(4)
char = {
    'embed.weight': torch.nn.Embedding(V, E).weight,
    **{f'lstm.{k}': v for k, v in torch.nn.LSTM(E, H).state_dict().items()},
    **{f'head.{k}': v for k, v in torch.nn.Linear(H, V).state_dict().items()},
}
save_safetensors(os.path.join(HERE, 'char-lstm.safetensors'), char, recur_metadata([
    {'name': 'embed', 'type': 'embedding', 'numEmbeddings': V, 'embeddingDim': E},
    {'name': 'lstm', 'type': 'lstm', 'inputSize': E, 'hiddenSize': H},
    {'name': 'head', 'type': 'linear', 'inFeatures': H, 'outFeatures': V}]))
print('char-lstm: safetensors')
