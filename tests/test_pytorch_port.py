"""A PyTorch training script runs after one change, ``import torch`` -> ``import autograd as
torch`` (the public contract's promise, stated in docs/guides/porting_from_pytorch.md): it
reaches ``torch.nn``, ``torch.optim``, ``torch.utils.data`` and the device calls through it."""

from __future__ import annotations

import numpy as np

import autograd as torch  # the one changed line (was: import torch)

# ---- below this line: code as written for PyTorch --------------------------------------------

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class MLP(torch.nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.fc1 = torch.nn.Linear(n_in, n_hidden)
        self.fc2 = torch.nn.Linear(n_hidden, n_hidden)
        self.fc3 = torch.nn.Linear(n_hidden, n_out)
        self.dropout = torch.nn.Dropout(p=0.1)

    def forward(self, x):
        x = torch.nn.functional.relu(self.fc1(x))
        x = self.dropout(torch.nn.functional.relu(self.fc2(x)))
        return self.fc3(x)


class CNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = torch.nn.BatchNorm2d(8)
        self.conv2 = torch.nn.Conv2d(8, 16, 3, padding=1)
        self.pool = torch.nn.MaxPool2d(2)
        self.fc = torch.nn.Linear(16 * 2 * 2, 4)

    def forward(self, x):
        x = self.pool(torch.nn.functional.relu(self.bn1(self.conv1(x))))
        x = self.pool(torch.nn.functional.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc(x)


def train(model, loader, epochs, lr):
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = torch.nn.CrossEntropyLoss()
    losses = []
    for epoch in range(epochs):  # noqa: B007  (the PyTorch script, unchanged)
        model.train()
        total = 0.0
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
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
            inputs, targets = inputs.to(device), targets.to(device)
            pred = model(inputs).argmax(dim=1)
            correct += (pred == targets).sum().item()
    return correct / len(loader.dataset)


def manual_nll(logits, target):
    logp = torch.nn.functional.log_softmax(logits, dim=1)
    return -logp[range(target.shape[0]), target].mean()


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
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, y), batch_size=32, shuffle=True
    )
    model = MLP(10, 32, 3)
    losses = train(model, loader, epochs=8, lr=1e-2)
    assert losses[-1] < 0.5 * losses[0]
    assert (
        evaluate(
            model, torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=64)
        )
        > 0.9
    )


def test_cnn_script_runs_unchanged():
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    # four classes: a bright quadrant in an 8x8 image
    y = rng.integers(0, 4, 128)
    x = rng.normal(0, 0.3, (128, 1, 8, 8)).astype(np.float32)
    for i, c in enumerate(y):
        r, q = divmod(int(c), 2)
        x[i, 0, r * 4 : (r + 1) * 4, q * 4 : (q + 1) * 4] += 1.0
    ds = torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y))
    model = CNN()
    losses = train(
        model, torch.utils.data.DataLoader(ds, batch_size=16, shuffle=True), epochs=5, lr=1e-2
    )
    assert losses[-1] < 0.5 * losses[0]
    assert evaluate(model, torch.utils.data.DataLoader(ds, batch_size=32)) > 0.9


def test_tutorial_style_indexing_and_device_calls():
    torch.manual_seed(0)
    logits = torch.randn(6, 4, requires_grad=True)
    target = torch.tensor([0, 3, 1, 1, 2, 0])
    loss = manual_nll(logits.to(device), target)
    ref = torch.nn.functional.cross_entropy(logits, target)
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-6)
    (g,) = torch.autograd.grad(loss, logits)
    (g_ref,) = torch.autograd.grad(ref, logits)
    np.testing.assert_allclose(g.numpy(), g_ref.numpy(), rtol=1e-5, atol=1e-7)
    assert loss.device == device and str(device) == "cpu"
