def test_layers(client):
    r = client.get("/layers")
    assert r.status_code == 200, r.text
    assert {layer["code"] for layer in r.json()} >= {"unified", "zongzhi"}
