"""A two-layer graph convolutional network (Kipf & Welling) on a synthetic two-community
graph, with the normalised adjacency D^-1/2 (A + I) D^-1/2 as a dense matrix."""

import autograd as torch
import autograd.nn as nn
import autograd.nn.functional as F


class GraphConvolution(nn.Module):
    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        nn.init.xavier_uniform_(self.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, input, adj):
        support = torch.mm(input, self.weight)
        output = torch.mm(adj, support)
        if self.bias is not None:
            return output + self.bias
        return output


class GCN(nn.Module):
    def __init__(self, nfeat, nhid, nclass, dropout):
        super().__init__()
        self.gc1 = GraphConvolution(nfeat, nhid)
        self.gc2 = GraphConvolution(nhid, nclass)
        self.dropout = dropout

    def forward(self, x, adj):
        x = F.relu(self.gc1(x, adj))
        x = F.dropout(x, self.dropout, training=self.training)
        x = self.gc2(x, adj)
        return F.log_softmax(x, dim=1)


def normalize_adjacency(adj):
    adj = adj + torch.eye(adj.shape[0])
    deg = adj.sum(dim=1)
    d_inv_sqrt = deg.pow(-0.5)
    d_inv_sqrt[torch.isinf(d_inv_sqrt)] = 0.0
    return d_inv_sqrt.unsqueeze(1) * adj * d_inv_sqrt.unsqueeze(0)


def accuracy(output, labels):
    preds = output.max(1)[1].type_as(labels)
    correct = preds.eq(labels).double()
    return correct.sum() / len(labels)


torch.manual_seed(42)
n = 40
labels = torch.cat([torch.zeros(n // 2), torch.ones(n // 2)]).long()
same = labels.unsqueeze(0) == labels.unsqueeze(1)
p = torch.where(same, torch.tensor(0.3), torch.tensor(0.02))
upper = torch.triu((torch.rand(n, n) < p).float(), diagonal=1)
adj = normalize_adjacency(upper + upper.t())
features = torch.randn(n, 8) + 0.3 * F.one_hot(labels, 8).float()

idx_train = torch.arange(0, n, 4)
idx_test = torch.tensor([i for i in range(n) if i % 4 != 0])

model = GCN(nfeat=features.shape[1], nhid=16, nclass=int(labels.max()) + 1, dropout=0.5)
optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)

losses = []
for epoch in range(100):
    model.train()
    optimizer.zero_grad()
    output = model(features, adj)
    loss_train = F.nll_loss(output[idx_train], labels[idx_train])
    acc_train = accuracy(output[idx_train], labels[idx_train])
    loss_train.backward()
    optimizer.step()
    losses.append(loss_train.item())
    if epoch % 25 == 24:
        print(
            f"Epoch: {epoch + 1:04d} loss_train: {loss_train.item():.4f} acc_train: {acc_train.item():.4f}"
        )

model.eval()
output = model(features, adj)
loss_test = F.nll_loss(output[idx_test], labels[idx_test])
acc_test = accuracy(output[idx_test], labels[idx_test])
print(f"Test set results: loss= {loss_test.item():.4f} accuracy= {acc_test.item():.4f}")
