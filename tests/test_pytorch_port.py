"""A PyTorch training script runs unchanged below the imports (the public contract's promise,
stated in the README's "From PyTorch to ndgrad")."""

from __future__ import annotations

import numpy as np

import autograd as torch
import nn
import nn.functional as F
import optim
from data import DataLoader, TensorDataset

# ---- below this line: code as written for PyTorch --------------------------------------------


class MLP(nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.fc1 = nn.Linear(n_in, n_hidden)
        self.fc2 = nn.Linear(n_hidden, n_hidden)
        self.fc3 = nn.Linear(n_hidden, n_out)
        self.dropout = nn.Dropout(p=0.1)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = self.dropout(F.relu(self.fc2(x)))
        return self.fc3(x)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(16 * 2 * 2, 4)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc(x)


def train(model, loader, epochs, lr):
    optimizer = optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    losses = []
    for epoch in range(epochs):  # noqa: B007  (the PyTorch script, unchanged)
        model.train()
        total = 0.0
        for inputs, targets in loader:
            optimizer.zero_grad()
            outputs = model(inputs)
            loss = criterion(outputs, targets)
            loss.backward()
            optimizer.step()
            total += loss.item() * inputs.size(0)
        losses.append(total / len(loader.dataset))
    return losses


def evaluate(model, loader):
    model.eval()
    correct = 0
    with torch.no_grad():
        for inputs, targets in loader:
            pred = model(inputs).argmax(dim=1)
            correct += (pred == targets).sum().item()
    return correct / len(loader.dataset)


# ---- end of PyTorch code ---------------------------------------------------------------------


def _blobs(n, d, k, seed):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 3, (k, d))
    y = rng.integers(0, k, n)
    x = centers[y] + rng.normal(0, 1, (n, d))
    return torch.tensor(x.astype(np.float32)), torch.tensor(y)


def test_mlp_script_runs_unchanged():
    torch.manual_seed(0)
    x, y = _blobs(256, 10, 3, 0)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    model = MLP(10, 32, 3)
    losses = train(model, loader, epochs=8, lr=1e-2)
    assert losses[-1] < 0.5 * losses[0]
    assert evaluate(model, DataLoader(TensorDataset(x, y), batch_size=64)) > 0.9


def test_cnn_script_runs_unchanged():
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    # four classes: a bright quadrant in an 8x8 image
    y = rng.integers(0, 4, 128)
    x = rng.normal(0, 0.3, (128, 1, 8, 8)).astype(np.float32)
    for i, c in enumerate(y):
        r, q = divmod(int(c), 2)
        x[i, 0, r * 4 : (r + 1) * 4, q * 4 : (q + 1) * 4] += 1.0
    ds = TensorDataset(torch.tensor(x), torch.tensor(y))
    model = CNN()
    losses = train(model, DataLoader(ds, batch_size=16, shuffle=True), epochs=5, lr=1e-2)
    assert losses[-1] < 0.5 * losses[0]
    assert evaluate(model, DataLoader(ds, batch_size=32)) > 0.9
