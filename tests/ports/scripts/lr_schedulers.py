"""Learning-rate schedules on a regression MLP: StepLR for one run, OneCycleLR (stepped each
batch) for another, with the schedule read back through get_last_lr()."""

import autograd as torch
from autograd import nn
from autograd.optim.lr_scheduler import OneCycleLR, StepLR
from autograd.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
X = torch.rand(256, 4) * 2 - 1
w_true = torch.tensor([[1.5], [-2.0], [0.5], [1.0]])
y = torch.tanh(X @ w_true) + 0.05 * torch.randn(256, 1)
loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)


def make_model():
    return nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1))


loss_fn = nn.MSELoss()
epochs = 6

# 1) StepLR, stepped once per epoch
model = make_model()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
step_losses = []
lrs = []
for epoch in range(epochs):
    running = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        running += loss.item() * xb.size(0)
    step_losses.append(running / len(loader.dataset))
    lrs.append(scheduler.get_last_lr()[0])
    scheduler.step()
    print(f"StepLR epoch {epoch} lr {lrs[-1]:.4f} loss {step_losses[-1]:.4f}")
assert lrs == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025], lrs

# 2) OneCycleLR, stepped once per batch
model = make_model()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
scheduler = OneCycleLR(optimizer, max_lr=0.05, steps_per_epoch=len(loader), epochs=epochs)
losses = []
batch_lrs = []
for epoch in range(epochs):
    running = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        batch_lrs.append(optimizer.param_groups[0]["lr"])
        scheduler.step()
        running += loss.item() * xb.size(0)
    losses.append(running / len(loader.dataset))
    print(f"OneCycleLR epoch {epoch} loss {losses[-1]:.4f}")
peak = max(batch_lrs)
print(f"OneCycleLR: first lr {batch_lrs[0]:.5f}, peak {peak:.5f}, last {batch_lrs[-1]:.7f}")
assert abs(peak - 0.05) < 1e-3 and batch_lrs[0] < peak / 10 and batch_lrs[-1] < batch_lrs[0]
