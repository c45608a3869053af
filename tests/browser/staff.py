"""Staff in the browser tests: one password for every staff user the tests create, and the login
every staff page starts from."""

from playwright.sync_api import expect

PASSWORD = "a-long-browser-password-42"


def log_in(page, username, password=PASSWORD):
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="评议会", exact=True)).to_be_visible()
