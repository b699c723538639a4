shapegrad::model! {
    struct Classifier {
        dims { B: batch }
        params { w1: [784, 64] = glorot, w2: [128, 10] = glorot }
        fn forward(x: [B, 784]) -> [B, 10] {
            let h = relu(x @ w1);
            h @ w2
        }
    }
}
fn main() {}
