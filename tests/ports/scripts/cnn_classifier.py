"""A small CNN classifier in the style of the MNIST example: device boilerplate, train/eval
loops, accuracy with argmax, and saving/loading the state dict."""

import os
import tempfile

import autograd as torch
import autograd.nn as nn
import autograd.nn.functional as F
import autograd.optim as optim
from autograd.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.fc1 = nn.Linear(16 * 2 * 2, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def make_data(n):
    # class 0: a horizontal bar, class 1: a vertical bar, at a random place, plus noise
    images = 0.1 * torch.randn(n, 1, 8, 8)
    labels = torch.randint(0, 2, (n,))
    pos = torch.randint(1, 7, (n,))
    for i in range(n):
        if labels[i] == 0:
            images[i, 0, pos[i], :] += 1.0
        else:
            images[i, 0, :, pos[i]] += 1.0
    return images, labels


def train(model, device, train_loader, optimizer, epoch, losses):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    print(f"Train Epoch: {epoch}\tLoss: {loss.item():.6f}")


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    accuracy = 100.0 * correct / len(test_loader.dataset)
    print(
        f"Test set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{len(test_loader.dataset)} ({accuracy:.0f}%)"
    )
    return accuracy


torch.manual_seed(1)
use_cuda = torch.cuda.is_available()
device = torch.device("cuda" if use_cuda else "cpu")
train_kwargs = {"batch_size": 16, "shuffle": True}
test_kwargs = {"batch_size": 32}
if use_cuda:
    train_kwargs.update({"num_workers": 1, "pin_memory": True})

train_loader = DataLoader(TensorDataset(*make_data(128)), **train_kwargs)
test_loader = DataLoader(TensorDataset(*make_data(64)), **test_kwargs)

model = Net().to(device)
optimizer = optim.Adadelta(model.parameters(), lr=1.0)
scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
losses = []
for epoch in range(1, 6):
    train(model, device, train_loader, optimizer, epoch, losses)
    accuracy = test(model, device, test_loader)
    scheduler.step()

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "mnist_cnn.pt")
    torch.save(model.state_dict(), path)
    model2 = Net().to(device)
    model2.load_state_dict(torch.load(path, weights_only=True))
    model2.eval()
    x, _ = next(iter(test_loader))
    with torch.no_grad():
        assert torch.equal(model(x.to(device)), model2(x.to(device)))
print("accuracy", accuracy)
