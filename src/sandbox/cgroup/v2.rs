#[derive(Debug, Clone)] pub struct V2Hierarchy;
