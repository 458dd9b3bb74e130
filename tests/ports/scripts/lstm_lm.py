"""A word-level LSTM language model on variable-length sentences: pad_sequence,
pack_padded_sequence / pad_packed_sequence, and gradient clipping."""

import autograd as torch
import autograd.nn as nn
from autograd.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

corpus = [
    "the cat sat on the mat",
    "the dog sat on the log",
    "a cat saw a dog",
    "the dog saw the cat on the mat",
    "a dog sat",
    "the cat sat",
]
vocab = ["<pad>", "<eos>"] + sorted({w for s in corpus for w in s.split()})
stoi = {w: i for i, w in enumerate(vocab)}
sentences = [torch.tensor([stoi[w] for w in s.split()] + [stoi["<eos>"]]) for s in corpus]


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.2):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp, padding_idx=0)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout, batch_first=True)
        self.decoder = nn.Linear(nhid, ntoken)
        self.init_weights()

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, lengths):
        emb = self.drop(self.encoder(input))
        packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
        output, (h, c) = self.rnn(packed)
        output, _ = pad_packed_sequence(output, batch_first=True, total_length=input.size(1))
        output = self.drop(output)
        return self.decoder(output)


torch.manual_seed(0)
inputs = pad_sequence([s[:-1] for s in sentences], batch_first=True, padding_value=0)
targets = pad_sequence([s[1:] for s in sentences], batch_first=True, padding_value=0)
lengths = torch.tensor([len(s) - 1 for s in sentences])

ntokens = len(vocab)
model = RNNModel(ntokens, 16, 32, 2)
criterion = nn.CrossEntropyLoss(ignore_index=0)
lr = 5.0
clip = 0.25
losses = []
for epoch in range(60):
    model.train()
    model.zero_grad()
    output = model(inputs, lengths)
    loss = criterion(output.view(-1, ntokens), targets.view(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    for p in model.parameters():
        p.data.add_(p.grad, alpha=-lr)
    losses.append(loss.item())
    if epoch % 20 == 19:
        print(
            f"| epoch {epoch + 1:3d} | loss {loss.item():5.2f} | ppl {torch.exp(loss).item():8.2f}"
        )
