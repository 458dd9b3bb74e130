"""A custom map-style Dataset with a transform, read through DataLoader with num_workers=0
and num_workers=2; both loaders must give the same batches."""

import numpy as np

import autograd as torch
from autograd import nn
from autograd.utils.data import DataLoader, Dataset, random_split


class SpiralDataset(Dataset):
    """Two interleaved spirals; items are (features, label) pairs."""

    def __init__(self, n_per_class=100, noise=0.1, transform=None, seed=0):
        rng = np.random.default_rng(seed)
        t = np.linspace(0.25, 1.5 * np.pi, n_per_class)
        pts, labels = [], []
        for c in range(2):
            r = t / (1.5 * np.pi)
            angle = t + c * np.pi
            xy = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
            pts.append(xy + noise * rng.standard_normal(xy.shape) * r[:, None])
            labels.append(np.full(n_per_class, c))
        self.points = np.concatenate(pts).astype(np.float32)
        self.labels = np.concatenate(labels).astype(np.int64)
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        x = torch.from_numpy(self.points[idx])
        if self.transform:
            x = self.transform(x)
        return x, int(self.labels[idx])


def add_radius(x):
    return torch.cat([x, x.norm().unsqueeze(0)])


dataset = SpiralDataset(transform=add_radius)
train_set, val_set = random_split(dataset, [160, 40], generator=torch.Generator().manual_seed(0))

# the same batches whether the items are read in this process or in two workers
g0 = torch.Generator().manual_seed(1)
g2 = torch.Generator().manual_seed(1)
serial = list(DataLoader(train_set, batch_size=40, shuffle=True, num_workers=0, generator=g0))
parallel = list(DataLoader(train_set, batch_size=40, shuffle=True, num_workers=2, generator=g2))
assert len(serial) == len(parallel) == 4
for (xa, ya), (xb, yb) in zip(serial, parallel):
    assert torch.equal(xa, xb) and torch.equal(ya, yb)

train_loader = DataLoader(train_set, batch_size=32, shuffle=True, num_workers=0)
val_loader = DataLoader(val_set, batch_size=40)

model = nn.Sequential(nn.Linear(3, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2))
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
loss_fn = nn.CrossEntropyLoss()

losses = []
for epoch in range(15):
    model.train()
    total = 0.0
    for X, y in train_loader:
        pred = model(X)
        loss = loss_fn(pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    losses.append(total / len(train_loader))
    model.eval()
    correct = 0
    with torch.no_grad():
        for X, y in val_loader:
            correct += (model(X).argmax(1) == y).type(torch.float).sum().item()
    if epoch % 5 == 4:
        print(
            f"epoch {epoch + 1}: loss {losses[-1]:>7f}, val accuracy {100 * correct / len(val_set):>0.1f}%"
        )
